// The plan's words in zh-CN (default) and en, for the CSV headings and the run sheet.
export type Lang = 'zh' | 'en'

export const LABELS = {
  zh: {
    title: '补货路线单', trip: '趟次', seq: '顺序', station: '驿站编号', name: '驿站名称', address: '地址', item: '物资',
    quantity: '补货数量', unit: '单位', level: '当前库存', capacity: '货架容量', priority: '优先级', tte: '预计清空(小时)',
    leg: '本段距离(km)', total: '累计距离(km)', note: '备注', done: '已补货', signature: '签名', depot: '出发点',
    load: '装车清单', distance: '总距离', generated: '生成时间', horizon: '预测范围', unroutable: '无坐标(未排入路线)',
    vehicle: '车辆容量', unlimited: '不限', hours: '小时', back: '返回出发点', stops: '站点', units: '件',
    priorities: { empty: '已空', urgent: '紧急', due: '待补' }
  },
  en: {
    title: 'Restock run sheet', trip: 'Trip', seq: 'Stop', station: 'Station id', name: 'Station', address: 'Address', item: 'Item',
    quantity: 'Quantity', unit: 'Unit', level: 'Level now', capacity: 'Shelf capacity', priority: 'Priority', tte: 'Empty in (h)',
    leg: 'Leg (km)', total: 'Cumulative (km)', note: 'Note', done: 'Restocked', signature: 'Signature', depot: 'Depot',
    load: 'Load list', distance: 'Distance', generated: 'Generated', horizon: 'Horizon', unroutable: 'No coordinates (not routed)',
    vehicle: 'Vehicle capacity', unlimited: 'no limit', hours: 'h', back: 'back to depot', stops: 'stops', units: 'units',
    priorities: { empty: 'empty', urgent: 'urgent', due: 'due' }
  }
} as const

/** ?lang= wins; else the first of Accept-Language that we have; else zh. */
export function langOf (query: string | undefined, acceptLanguage: string | undefined): Lang {
  if (query === 'en' || query === 'zh') return query
  for (const part of (acceptLanguage ?? '').split(',')) {
    const tag = part.split(';')[0]!.trim().toLowerCase()
    if (tag.startsWith('zh')) return 'zh'
    if (tag.startsWith('en')) return 'en'
  }
  return 'zh'
}
