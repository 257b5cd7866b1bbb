// Fleet rankings (/fleet/summary) and monthly reports (JSON, CSV, XLSX) on the fixture of
// test/support/figure-fixture.ts. The XLSX is read back with openpyxl (test/support/read-xlsx.py).
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFigureSource } from '../api/figures/figure-source.ts'
import { loadFleet } from '../api/figures/fleet.ts'
import { stationOr404 } from '../api/figures/station.ts'
import { fleetDistinct } from '../api/reports/monthly-report.ts'
import { rolledUpFixture, A, B, type FigureFixture } from './support/figure-fixture.ts'

type XlsxCell = { v: string | number | boolean | null, fmt: string, bold: boolean }
type XlsxSheet = { name: string, freeze: string | null, rows: XlsxCell[][] }
// The interpreter that has openpyxl: a python3 first on PATH (pyenv, say) may not; Debian's
// has it with python3-openpyxl (.ci/run installs it).
const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import openpyxl']).status === 0)
function readXlsx (data: Buffer, name: string): XlsxSheet[] {
  if (!python) throw new Error('openpyxl is needed to check the XLSX: apt-get install python3-openpyxl')
  const file = join(dir, name)
  writeFileSync(file, data)
  return JSON.parse(execFileSync(python, [join(import.meta.dirname, 'support', 'read-xlsx.py'), file]).toString())
}
function cellAt (sheet: XlsxSheet, ref: string): XlsxCell {
  const m = /^([A-Z]+)(\d+)$/.exec(ref)!
  const col = [...m[1]!].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0) - 1
  return sheet.rows[Number(m[2]) - 1]?.[col] ?? { v: null, fmt: 'General', bold: false }
}

let fx: FigureFixture
let dir: string
beforeAll(async () => {
  fx = await rolledUpFixture('2026-05-01', '2026-05-31')
  dir = mkdtempSync(join(tmpdir(), 'waystation-report-'))
})
afterAll(async () => { await fx?.close(); rmSync(dir, { recursive: true, force: true }) })

const r = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d

const stationA = {
  stationId: A, name: '静安区爱心驿站', district: '静安区',
  visits: 8, uniqueWorkers: 4, denied: 2, counterEntries: 5, counterMinusDoor: -3, firstTimeVisitors: 3, entriesOutsideOpeningHours: 0,
  utilisation: r(70 / (2 * 55), 4), meanOccupancy: r(70 / 55, 2), maxOccupancy: 4, minutesAtCapacity: 20,
  comfortShare: r(5 / 11, 4), environmentShare: r(10 / 5760, 4), occupancyGaps: 6, incompleteDays: 4,
  busiestHour: { hour: 10, entries: 2 }
}
const stationB = {
  stationId: B, name: '=Mitte, "Rast"', district: 'Mitte',
  visits: 3, uniqueWorkers: 3, denied: 0, counterEntries: 3, counterMinusDoor: 0, firstTimeVisitors: 2, entriesOutsideOpeningHours: 3,
  utilisation: r(2 / (3 * 722), 4), meanOccupancy: r(2 / 722, 2), maxOccupancy: 1, minutesAtCapacity: 0,
  comfortShare: 1, environmentShare: r(722 / 2880, 4), occupancyGaps: 3, incompleteDays: 3,
  busiestHour: { hour: 3, entries: 1 } // 07:00, 21:00 and 03:00 have one entry each: the earliest hour
}

describe('fleet summary', () => {
  it('ranks every station by visits, with district totals', async () => {
    const { status, body } = await fx.get('/fleet/summary?from=2026-05-04&to=2026-05-07')
    expect(status).toBe(200)
    expect(body.stations).toEqual([{ rank: 1, ...stationA }, { rank: 2, ...stationB }])
    expect(body.districts).toEqual([
      { rank: 1, district: '静安区', stations: 1, visits: 8, denied: 2, firstTimeVisitors: 3, counterEntries: 5 },
      { rank: 2, district: 'Mitte', stations: 1, visits: 3, denied: 0, firstTimeVisitors: 2, counterEntries: 3 }
    ])
    // First-time visitors add up across stations: W1, W2, W3 at sh-a; W6 and W4 at berlin-b.
    expect(body.totals).toEqual({ stations: 2, visits: 11, denied: 2, firstTimeVisitors: 5, counterEntries: 8 })
    expect(body.provenance).toEqual({ rollupDays: 8, rawDays: 0, pendingDays: 0 })
  })

  it('other rankings, a list of stations, a district', async () => {
    const comfort = (await fx.get('/fleet/summary?from=2026-05-04&to=2026-05-07&sort=comfort')).body
    expect(comfort.stations.map((s: { stationId: string, rank: number }) => [s.stationId, s.rank])).toEqual([[B, 1], [A, 2]])
    const one = (await fx.get(`/fleet/summary?from=2026-05-04&to=2026-05-07&stations=${B}`)).body
    expect(one.stations).toEqual([{ rank: 1, ...stationB }])
    const mitte = (await fx.get('/fleet/summary?from=2026-05-04&to=2026-05-07&district=Mitte')).body
    expect(mitte.stations.map((s: { stationId: string }) => s.stationId)).toEqual([B])
  })

  it('a whole month reads distinct workers from the monthly rollup', async () => {
    const { body } = await fx.get('/fleet/summary?from=2026-05-01&to=2026-05-31')
    expect(body.stations.map((s: { uniqueWorkers: number, visits: number }) => [s.visits, s.uniqueWorkers])).toEqual([[8, 4], [3, 3]])
    expect(body.provenance).toEqual({ rollupDays: 62, rawDays: 0, pendingDays: 0 })
  })

  it('a late upload is reported as pending until the job has run', async () => {
    fx.job.markRange([A], '2026-05-06', '2026-05-06')
    const { body } = await fx.get('/fleet/summary?from=2026-05-04&to=2026-05-07')
    expect(body.provenance).toEqual({ rollupDays: 8, rawDays: 0, pendingDays: 1 })
    await fx.job.drain()
  })

  it('404 for an unknown station or an empty district; 400 for a bad list', async () => {
    expect((await fx.get('/fleet/summary?from=2026-05-04&to=2026-05-07&stations=sh-a,nowhere')).body).toMatchObject({ statusCode: 404, message: 'station nowhere not found' })
    expect((await fx.get('/fleet/summary?from=2026-05-04&to=2026-05-07&district=Atlantis')).status).toBe(404)
    expect((await fx.get('/fleet/summary?from=2026-05-04&to=2026-05-07&stations=Bad%20Id')).status).toBe(400)
    expect((await fx.get('/fleet/summary?from=2026-05-04&to=2026-05-07&sort=name')).status).toBe(400)
  })
})

describe('monthly reports', () => {
  it('station report as JSON', async () => {
    const { status, body } = await fx.get(`/stations/${A}/reports/2026-05`)
    expect(status).toBe(200)
    expect(body.station).toEqual({ id: A, name: '静安区爱心驿站', district: '静安区', timezone: 'Asia/Shanghai', capacity: 2 })
    expect(body.summary).toEqual({
      from: '2026-05-01', to: '2026-05-31', visits: 8, uniqueWorkers: 4, denied: 2, counterEntries: 5, counterMinusDoor: -3, firstTimeVisitors: 3, entriesOutsideOpeningHours: 0,
      occupancy: { meanOccupancy: r(70 / 55, 2), maxOccupancy: 4, utilisation: r(70 / 110, 4), minutesAtCapacity: 20, coverage: r(55 / (31 * 1440), 4) },
      dwell: { capMinutes: 120, entries: 7, medianMinutes: 30, p90Minutes: 120, meanMinutes: r(355 / 7, 2), atCap: 2 },
      comfort: expect.objectContaining({ samples: 11, comfortable: 5, share: r(5 / 11, 4) }),
      // 05-04 and 05-05 have two occupancy gaps each, the 29 other days one each.
      completeness: expect.objectContaining({ environment: { expectedMinutes: 31 * 1440, receivedMinutes: 10, share: r(10 / 44640, 4) }, incompleteDays: 31 }),
      busiestHour: { hour: 10, entries: 2 },
      alerts: { fired: 0, acknowledged: 0, medianMinutesToAck: null, byRule: [] } // none in the fixture (test/reports-alerts.test.ts)
    })
    expect(body.summary.completeness.occupancy).toEqual({ expectedSlots: 31 * 288, receivedSlots: 8, gaps: 2 + 2 + 29, longestGapMinutes: 1440 })
    expect(body.days).toHaveLength(31)
    expect(body.days[3]).toEqual({
      date: '2026-05-04', visits: 4, uniqueWorkers: 3, denied: 1, counterEntries: 5, firstTimeVisitors: 3,
      meanOccupancy: r(65 / 40, 2), maxOccupancy: 4, utilisation: r(65 / 80, 4), minutesAtCapacity: 20, medianDwellMinutes: 30,
      comfortShare: r(5 / 11, 4), temperatureMean: r(226.9 / 10, 2), humidityMean: r(425 / 8, 2), co2Mean: r(5400 / 7, 2), pm25Mean: 25,
      environmentShare: r(10 / 1440, 4), occupancyGaps: 2, doorSilentHours: 0, complete: false
    })
  })

  it('station report as CSV: UTF-8 with BOM, title block, zh-CN headings, shown numbers; formulas neutralised', async () => {
    const res = (await fx.get(`/stations/${A}/reports/2026-05?format=csv`)).res
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(res.headers['content-disposition']).toBe('attachment; filename="waystation-sh-a-2026-05.csv"')
    expect(res.headers['content-language']).toBe('zh-CN')
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf])) // the BOM Excel needs for UTF-8
    const lines = res.body.slice(1).split('\r\n')
    expect(lines.slice(0, 7)).toEqual([
      '驿站月度报表', '驿站,静安区爱心驿站 (sh-a)', '所属区域,静安区', '月份,2026-05', '时区,Asia/Shanghai',
      expect.stringMatching(/^生成时间,\d{4}-\d\d-\d\d \d\d:\d\d \(Asia\/Shanghai\)$/), ''
    ])
    expect(lines[7]).toBe('日期,进站人次,服务人数（人）,拒绝进入（次）,客流计数器进站（人次）,首次到访（人）,平均在站人数（人）,最高在站人数（人）,座位利用率（%）,满员时长（分钟）,停留时长中位数（分钟）,环境舒适时间占比（%）,平均温度（°C）,平均湿度（%RH）,平均二氧化碳浓度（ppm）,平均 PM2.5（µg/m³）,环境数据完整率（%）,在站人数数据中断（次）,门禁无数据时长（小时）,数据完整')
    expect(lines).toHaveLength(8 + 31 + 1) // title block, blank, headings, 31 days, final line end
    expect(lines[8 + 3]).toBe('2026-05-04,4,3,1,5,3,1.6,4,81.3%,20,30,45.5%,22.7,53.1,771,25.0,0.7%,2,0,否')
    expect(lines[8 + 5]).toBe('2026-05-06,0,0,0,,0,,,,0,,,,,,,0.0%,1,0,否')
    const en = (await fx.get(`/stations/${A}/reports/2026-05?format=csv&lang=en`)).res
    expect(en.headers['content-language']).toBe('en')
    expect(en.body.split('\r\n')[7]).toMatch(/^Date,Visits \(entries\),Workers served \(people\),/)
    const fleet = (await fx.get('/fleet/reports/2026-05?format=csv')).res.body.split('\r\n')
    expect(fleet[0]).toBe('\ufeff驿站月度汇总报表')
    expect(fleet[1]).toBe('范围,全部驿站')
    expect(fleet[8]).toMatch(/^2,berlin-b,"'=Mitte, ""Rast""",Mitte,3,3,0,3,0,2,3,/)
  })

  it('every heading and figure has words in both languages', async () => {
    const { LABELS, COLUMN_KINDS, SUMMARY_KINDS } = await import('../api/reports/labels/index.ts')
    for (const l of Object.values(LABELS)) {
      for (const k of Object.keys(COLUMN_KINDS)) expect((l.columns as Record<string, string>)[k], k).toMatch(/\S/)
      for (const k of Object.keys(SUMMARY_KINDS)) expect((l.figures as Record<string, string>)[k], k).toMatch(/\S/)
    }
    // And every key the reports produce is one of them (no camelCase key left as a heading).
    for (const [url, line] of [[`/stations/${A}/reports/2026-05?format=csv`, 7], ['/fleet/reports/2026-05?format=csv', 6], [`/stations/${A}/reports/2026-05?format=csv&lang=en`, 7]] as const) {
      const headings = (await fx.get(url)).res.body.split('\r\n')[line]!.split(',')
      expect(headings.length, url).toBeGreaterThan(5)
      for (const h of headings) expect(h, url).not.toMatch(/^[a-z]+[A-Z]\w*$/)
    }
  })

  it('fleet report as JSON: distinct workers across the fleet', async () => {
    const { body } = await fx.get('/fleet/reports/2026-05')
    expect(body.summary).toEqual({ stations: 2, visits: 11, uniqueWorkers: 5, denied: 2, firstTimeVisitors: 5, counterEntries: 8, alerts: { fired: 0, acknowledged: 0, medianMinutesToAck: null, byRule: [] } })
    expect(body.stations.map((s: { stationId: string, rank: number, medianDwellMinutes: number }) => [s.stationId, s.rank, s.medianDwellMinutes])).toEqual([[A, 1, 30], [B, 2, 15]])
  })

  it('fleet distinct workers read a few stations per query: the union across queries counts a shared worker once', async () => {
    // One station per query here (20,000 stations' sets in one answer ended the process).
    const src = createFigureSource(fx.influx, { dirtyBetween: fx.state.dirtyBetween, firstSeen: fx.state.firstSeen })
    const { periods } = await loadFleet(src, [await stationOr404(fx.registry, A), await stationOr404(fx.registry, B)], '2026-05-01', '2026-05-31', true)
    expect(periods.every((p) => p.days === null)).toBe(true) // both from their monthly rollups
    expect(await fleetDistinct(src, periods, '2026-05-01', '2026-05-31', 1)).toBe(5)
    expect(await fleetDistinct(src, periods, '2026-05-01', '2026-05-31')).toBe(5)
  })

  it('station and fleet reports as XLSX, read back by openpyxl: headings, title block, number formats, values', async () => {
    const res = (await fx.get(`/stations/${A}/reports/2026-05?format=xlsx`)).res
    expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    const [days, summary] = readXlsx(res.rawPayload, 'a.xlsx')
    expect(days!.name).toBe('每日明细')
    expect(summary!.name).toBe('汇总')
    const v = cellAt
    // Title block: bold title, station, district, month, zone, generated at; then the headings (frozen below them).
    expect(v(days!, 'A1')).toMatchObject({ v: '驿站月度报表', bold: true })
    expect([v(days!, 'A2').v, v(days!, 'B2').v]).toEqual(['驿站', '静安区爱心驿站 (sh-a)'])
    expect([v(days!, 'A4').v, v(days!, 'B4').v, v(days!, 'B5').v]).toEqual(['月份', '2026-05', 'Asia/Shanghai'])
    expect(v(days!, 'B6').v).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d \(Asia\/Shanghai\)$/)
    expect(v(days!, 'A7')).toMatchObject({ v: '日期', bold: true })
    expect(v(days!, 'I7').v).toBe('座位利用率（%）')
    expect(days!.freeze).toBe('A8')
    // 2026-05-04 is row 11: numbers stay numbers, shown through their formats.
    expect(v(days!, 'A11').v).toBe('2026-05-04')
    expect(v(days!, 'B11')).toMatchObject({ v: 4, fmt: '#,##0' })
    expect(v(days!, 'G11')).toMatchObject({ v: r(65 / 40, 2), fmt: '0.0' }) // mean occupancy
    expect(v(days!, 'I11')).toMatchObject({ v: r(65 / 80, 4), fmt: '0.0%' }) // utilisation
    expect(v(days!, 'M11')).toMatchObject({ v: r(226.9 / 10, 2), fmt: '0.0' }) // temperature
    expect(v(days!, 'T11').v).toBe('否')
    // Summary: figure names and values with their formats.
    const figure = (name: string) => summary!.rows.find((row) => row[0]?.v === name)?.[1]
    expect(figure('进站人次')).toMatchObject({ v: 8, fmt: '#,##0' })
    expect(figure('服务人数（人）')).toMatchObject({ v: 4 })
    expect(figure('座位利用率（%）')).toMatchObject({ v: r(70 / 110, 4), fmt: '0.0%' })
    expect(figure('平均停留时长（分钟）')).toMatchObject({ v: r(355 / 7, 2), fmt: '0.0' })
    expect(figure('最繁忙时段')).toMatchObject({ v: '10:00–11:00' })
    expect(summary!.rows.some((row) => /^[a-z]+([A-Z.]\w*)+$/.test(String(row[0]?.v)))).toBe(false) // no machine key left

    const en = readXlsx((await fx.get(`/stations/${A}/reports/2026-05?format=xlsx`, { 'accept-language': 'en-GB,en;q=0.9,zh;q=0.5' })).res.rawPayload, 'a-en.xlsx')
    expect(en.map((s) => s.name)).toEqual(['Days', 'Summary'])
    expect(cellAt(en[0]!, 'A1').v).toBe('Station monthly report')
    expect(cellAt(en[0]!, 'T11').v).toBe('no')

    const fleet = readXlsx((await fx.get('/fleet/reports/2026-05?format=xlsx')).res.rawPayload, 'f.xlsx')
    expect(fleet.map((s) => s.name)).toEqual(['各驿站', '各区域', '汇总'])
    expect([cellAt(fleet[0]!, 'A1').v, cellAt(fleet[0]!, 'B2').v, cellAt(fleet[0]!, 'B4').v]).toEqual(['驿站月度汇总报表', '全部驿站', '各驿站当地时间'])
    expect(cellAt(fleet[0]!, 'C8').v).toBe('=Mitte, "Rast"') // a text cell: never a formula
    expect(cellAt(fleet[1]!, 'A6').v).toBe('排名')
  })

  it('the Accept header chooses the format when ?format= is absent; 406 for one it cannot produce', async () => {
    const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
    const get = async (url: string, accept?: string) => (await fx.get(url, accept === undefined ? {} : { accept })).res
    const xlsx = await get(`/stations/${A}/reports/2026-05`, XLSX)
    expect(xlsx.headers['content-type']).toBe(XLSX)
    expect(xlsx.headers.vary).toMatch(/Accept, Accept-Language/)
    expect((await get(`/stations/${A}/reports/2026-05`, 'text/csv')).headers['content-type']).toBe('text/csv; charset=utf-8')
    expect((await get('/fleet/reports/2026-05', 'text/csv;q=0.5, application/json;q=0.4')).headers['content-type']).toBe('text/csv; charset=utf-8')
    expect((await get(`/stations/${A}/reports/2026-05`, 'text/html, */*;q=0.1')).headers['content-type']).toMatch(/^application\/json/)
    expect((await get(`/stations/${A}/reports/2026-05`)).headers['content-type']).toMatch(/^application\/json/)
    // ?format= wins over Accept.
    expect((await get(`/stations/${A}/reports/2026-05?format=json`, 'text/csv')).headers['content-type']).toMatch(/^application\/json/)
    expect((await get(`/stations/${A}/reports/2026-05?format=csv`, XLSX)).headers['content-type']).toBe('text/csv; charset=utf-8')
    for (const accept of ['application/pdf', 'text/html', 'text/csv;q=0, application/xml']) {
      const refused = await get(`/stations/${A}/reports/2026-05`, accept)
      expect(refused.statusCode, accept).toBe(406)
      expect(refused.json().message).toMatch(/text\/csv/)
      expect(refused.headers.vary).toMatch(/Accept/)
    }
  })

  it('400 for a bad month, format or language, 404 for an unknown station', async () => {
    expect((await fx.get(`/stations/${A}/reports/2026-05?lang=fr`)).status).toBe(400)
    expect((await fx.get(`/stations/${A}/reports/2026-13`)).status).toBe(400)
    expect((await fx.get(`/stations/${A}/reports/2026-05?format=pdf`)).status).toBe(400)
    expect((await fx.get('/stations/nowhere/reports/2026-05')).status).toBe(404)
  })
})
