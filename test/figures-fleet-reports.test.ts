// Fleet rankings (/fleet/summary) and monthly reports (JSON, CSV, XLSX) on the fixture of
// test/support/figure-fixture.ts. The XLSX is checked with the system's unzip and parsed back.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rolledUpFixture, A, B, type FigureFixture } from './support/figure-fixture.ts'

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
      busiestHour: { hour: 10, entries: 2 }
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

  it('station report as CSV (UTF-8 with BOM; formulas neutralised)', async () => {
    const res = (await fx.get(`/stations/${A}/reports/2026-05?format=csv`)).res
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(res.headers['content-disposition']).toBe('attachment; filename="waystation-sh-a-2026-05.csv"')
    const lines = res.body.split('\r\n')
    expect(lines[0]).toBe('\ufeffdate,visits,uniqueWorkers,denied,counterEntries,firstTimeVisitors,meanOccupancy,maxOccupancy,utilisation,minutesAtCapacity,medianDwellMinutes,comfortShare,temperatureMean,humidityMean,co2Mean,pm25Mean,environmentShare,occupancyGaps,doorSilentHours,complete')
    expect(lines).toHaveLength(1 + 31 + 1) // header, 31 days, final line end
    expect(lines[4]).toBe(`2026-05-04,4,3,1,5,3,1.63,4,0.8125,20,30,0.4545,22.69,53.13,771.43,25,${r(10 / 1440, 4)},2,0,false`)
    expect(lines[6]).toBe('2026-05-06,0,0,0,,0,,,,0,,,,,,,0,1,0,false')
    const fleet = (await fx.get('/fleet/reports/2026-05?format=csv')).res.body.split('\r\n')
    expect(fleet[2]).toMatch(/^2,berlin-b,"'=Mitte, ""Rast""",Mitte,3,3,0,3,0,2,3,/)
  })

  it('fleet report as JSON: distinct workers across the fleet', async () => {
    const { body } = await fx.get('/fleet/reports/2026-05')
    expect(body.summary).toEqual({ stations: 2, visits: 11, uniqueWorkers: 5, denied: 2, firstTimeVisitors: 5, counterEntries: 8 })
    expect(body.stations.map((s: { stationId: string, rank: number, medianDwellMinutes: number }) => [s.stationId, s.rank, s.medianDwellMinutes])).toEqual([[A, 1, 30], [B, 2, 15]])
  })

  it('station and fleet reports as XLSX that unzip and parse', async () => {
    const res = (await fx.get(`/stations/${A}/reports/2026-05?format=xlsx`)).res
    expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    const file = join(dir, 'a.xlsx')
    writeFileSync(file, res.rawPayload)
    expect(execFileSync('unzip', ['-tq', file]).toString()).toMatch(/No errors detected/)
    expect(execFileSync('unzip', ['-Z1', file]).toString().trim().split('\n')).toEqual([
      '[Content_Types].xml', '_rels/.rels', 'xl/workbook.xml', 'xl/_rels/workbook.xml.rels', 'xl/styles.xml', 'xl/worksheets/sheet1.xml', 'xl/worksheets/sheet2.xml'
    ])
    const workbook = execFileSync('unzip', ['-p', file, 'xl/workbook.xml']).toString()
    expect(workbook).toContain('<sheet name="Days" sheetId="1" r:id="rId1"/><sheet name="Summary" sheetId="2" r:id="rId2"/>')
    const days = execFileSync('unzip', ['-p', file, 'xl/worksheets/sheet1.xml']).toString()
    expect(days).toContain('<c r="A5" t="inlineStr"><is><t xml:space="preserve">2026-05-04</t></is></c><c r="B5"><v>4</v></c><c r="C5"><v>3</v></c>')
    expect(days).toContain('<c r="T5" t="b"><v>0</v></c>') // complete: false
    const summary = execFileSync('unzip', ['-p', file, 'xl/worksheets/sheet2.xml']).toString()
    expect(summary).toContain('<t xml:space="preserve">station.name</t></is></c><c r="B3" t="inlineStr"><is><t xml:space="preserve">静安区爱心驿站</t>')

    const fleet = (await fx.get('/fleet/reports/2026-05?format=xlsx')).res
    writeFileSync(join(dir, 'f.xlsx'), fleet.rawPayload)
    const stations = execFileSync('unzip', ['-p', join(dir, 'f.xlsx'), 'xl/worksheets/sheet1.xml']).toString()
    expect(stations).toContain('<t xml:space="preserve">=Mitte, &quot;Rast&quot;</t>') // a text cell: never a formula
  })

  it('400 for a bad month or format, 404 for an unknown station', async () => {
    expect((await fx.get(`/stations/${A}/reports/2026-13`)).status).toBe(400)
    expect((await fx.get(`/stations/${A}/reports/2026-05?format=pdf`)).status).toBe(400)
    expect((await fx.get('/stations/nowhere/reports/2026-05')).status).toBe(404)
  })
})
