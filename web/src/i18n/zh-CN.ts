// 简体中文界面文字（默认语言）。键与 en.ts 相同，类型检查保证一致。
import alerts from './alerts.zh-CN.ts'
import type { Messages } from './en.ts'

const zhCN: Messages = {
  app: {
    title: '驿站通',
    skip: '跳到正文',
    loading: '加载中…',
    retry: '重试',
    error: '加载失败：{message}',
    notFound: '没有这个页面。',
    backToFleet: '返回站点总览',
    none: '无',
    close: '关闭',
    copy: '复制',
    copied: '已复制',
    cancel: '取消',
    save: '保存'
  },
  nav: {
    main: '主导航',
    fleet: '站点总览',
    fleetAnalytics: '全网统计',
    admin: '系统管理',
    signOut: '退出登录',
    language: '语言',
    user: '当前用户：{name}'
  },
  roles: { viewer: '查看者', operator: '运维人员', admin: '管理员' },
  scope: { all: '全部站点', district: '{district}', stations: '{n} 个站点' },
  signIn: {
    title: '登录驿站通',
    intro: '请粘贴分配给您的 API 令牌。令牌将换成会话 Cookie，不会保存在此浏览器中。',
    token: 'API 令牌',
    submit: '登录',
    busy: '正在登录…',
    reason: {
      session_expired: '会话已过期，请重新登录。',
      token_revoked: '您的令牌已被吊销，请联系管理员获取新令牌。',
      signed_out: '您已退出登录。',
      signed_out_elsewhere: '您已在其他标签页或窗口中退出登录，请重新登录。',
      no_session: '',
      bad_token: '令牌无效：不存在、已过期或已被吊销。'
    },
    empty: '请输入令牌。',
    failed: '登录失败：{message}'
  },
  state: { quiet: '开放·空闲', busy: '繁忙', full: '已满', offline: '离线' },
  fleet: {
    title: '站点总览',
    map: '站点地图',
    mapHint: '滚轮或双指缩放，拖动平移。',
    mapMissing: '{n} 个站点没有坐标，未显示在地图上。',
    table: '站点列表',
    filter: '按名称或编号筛选',
    district: '区县',
    allDistricts: '全部区县',
    stateFilter: '状态',
    allStates: '全部状态',
    byDistrict: '各区县站点数',
    col: {
      name: '站点', district: '区县', visits: '今日到访', occupancy: '在站人数', temperature: '温度',
      devices: '在线设备', lastData: '最近数据', state: '状态'
    },
    sortBy: '按{column}排序',
    shown: '显示 {shown} / {total} 个站点',
    empty: '没有符合条件的站点。',
    wall: '大屏',
    pages: '表格分页',
    page: '第 {page} / {pages} 页',
    prev: '上一页',
    next: '下一页',
    updated: '更新于 {time}'
  },
  live: { live: '实时', connecting: '正在连接…', reconnecting: '正在重新连接…', lastUpdate: '最后更新 {time}' },
  wall: {
    visitsToday: '今日到访',
    uniqueToday: '今日服务人数',
    occupancy: '在站人数',
    ofCapacity: '容量 {capacity}',
    climate: '室内环境',
    devices: '设备',
    equipment: '电器',
    supplies: '物资',
    last30: '近 30 天每日到访',
    byHour: '今日每小时进站',
    noData: '暂无数据'
  },
  climate: { temperature: '温度', humidity: '湿度', co2: '二氧化碳', pm25: 'PM2.5' },
  comfort: { good: '舒适', fair: '一般', poor: '较差', unknown: '未知' },
  device: { online: '在线', offline: '离线', lastSeen: '最后在线 {time}' },
  equipment: { on: '开', off: '关', fault: '故障' },
  appliance: {
    microwave: '微波炉', ac: '空调', tv: '电视', water_dispenser: '饮水机', charger: '充电器',
    fridge: '冰箱', light: '照明', air_purifier: '空气净化器'
  },
  station: {
    title: '站点统计',
    from: '开始日期',
    to: '结束日期',
    apply: '查询',
    presets: '快捷范围',
    last7: '近 7 天',
    last30: '近 30 天',
    last90: '近 90 天',
    granularity: '统计粒度',
    per: { day: '按日', week: '按周', month: '按月' },
    visits: '到访次数',
    unique: '服务人数',
    firstTime: '首次到访人数',
    peakHours: '高峰时段（按星期和小时的进站次数）',
    occupancy: '在站人数',
    meanOccupancy: '平均在站人数',
    maxOccupancy: '最高在站人数',
    capacityLine: '容量 {capacity}',
    climate: '室内环境（日均值）',
    dwell: '停留时长',
    dwellMedian: '中位数 {median} 分钟，90% 分位 {p90} 分钟',
    minutes: '{from}–{to} 分钟',
    comfort: '舒适度',
    comfortShare: '处于舒适范围的时间：{share}',
    completeness: '数据完整性',
    completeDays: '{days} 天中 {complete} 天完整',
    envShare: '环境数据接收率：{share}',
    report: '月度报表',
    month: '月份',
    csv: '下载 CSV',
    xlsx: '下载 Excel',
    wall: '打开大屏',
    zone: '日期和时间均为站点所在时区（{zone}）',
    totals: '合计：到访 {visits} 次，服务 {unique} 人'
  },
  fleetAnalytics: {
    title: '全网统计',
    sort: '排名依据',
    sortBy: { visits: '到访次数', uniqueWorkers: '服务人数', firstTimeVisitors: '首次到访人数', utilisation: '利用率', comfort: '舒适度', completeness: '数据完整性' },
    rankings: '站点排名',
    districts: '各区县',
    totals: '{stations} 个站点，到访 {visits} 次，拒绝 {denied} 次',
    col: { rank: '排名', station: '站点', district: '区县', stations: '站点数', visits: '到访', unique: '人数', firstTime: '首次到访', utilisation: '利用率', comfort: '舒适度', incomplete: '不完整天数', denied: '拒绝' }
  },
  admin: {
    title: '系统管理',
    forbidden: '只有管理员可以查看此页面。',
    tabs: { stations: '站点', devices: '设备', services: '服务客户端', tokens: 'API 令牌', audit: '审计日志', supplies: '物资目录' },
    secretOnce: '请立即复制此密钥：它只显示这一次。',
    secret: '密钥',
    rotate: '更换密钥',
    revoke: '吊销',
    revoked: '已吊销',
    active: '有效',
    confirmRevoke: '确定吊销 {id}？此操作不可撤销。',
    station: {
      add: '添加站点', edit: '编辑', suspend: '停用', resume: '恢复', id: '编号', name: '名称', district: '区县',
      address: '地址', capacity: '容量', timezone: '时区', lat: '纬度', lon: '经度', datum: '坐标系', status: '状态',
      import: '从 CSV 导入', importFile: 'CSV 文件', imported: '已导入 {n} 个站点。', importErrors: '未导入任何站点：',
      saved: '已保存。'
    },
    statusName: { active: '运行中', suspended: '已停用', retired: '已退役' },
    datumName: { wgs84: 'WGS-84（GPS、OpenStreetMap）', gcj02: 'GCJ-02（高德等国内地图）' },
    device: { station: '站点', add: '添加设备', id: '设备编号', kind: '类型', created: '创建时间', rotated: '更换密钥时间', status: '状态' },
    service: { add: '添加服务客户端', id: '编号', name: '名称', scope: '范围', permission: '权限', districtName: '区县', stationIds: '站点编号（逗号分隔）' },
    scopeKind: { all: '全部站点', district: '一个区县', stations: '指定站点' },
    token: { add: '创建令牌', name: '名称', role: '角色', expires: '到期', never: '永不', lastUsed: '最近使用', created: '创建时间' },
    audit: { at: '时间', actor: '操作人', action: '操作', target: '对象', target_filter: '对象（类型:编号）', more: '更早的记录', change: '变更' }
  },
  // Alert views (issue 13): their own file.
  alerts,
  // Supplies (issue 14): wall bars, station panel, Restock view.
  supplies: {
    nav: '补货',
    title: '物资',
    level: { ok: '充足', low: '偏少', empty: '已空' },
    priority: { empty: '已空', urgent: '紧急', due: '待补' },
    source: { purchase: '采购', donation: '捐赠', unknown: '未登记（传感器）' },
    hours: '{h} 小时',
    // 货架传感器上次读数后登记的补货（LiveSupply.pendingRestock）。
    pendingRestock: '含已登记补货 {n}，货架传感器尚未读到',
    pendingShort: '含已登记补货 {n}，货架传感器尚未读到',
    emptyIn: '预计 {time} 后用完（90%：{low}–{high}）',
    notEmpty: '预测期内不会用完',
    recent: '最近补货',
    noRestocks: '最近 14 天没有补货',
    col: { item: '物资', level: '存量', empty: '预测', at: '时间', quantity: '数量', source: '来源', by: '经手人' },
    restock: {
      title: '补货计划',
      intro: '填写出发点（经纬度或驿站编号）以规划补货路线。',
      depot: '出发点', depotHint: '纬度,经度 或 驿站编号', district: '区', horizon: '预测时长', capacity: '车辆容量',
      show: '规划', map: '地图上的补货路线', trip: '第 {n} 趟', tripTotals: '{km} 公里，{load} 件',
      totals: '{stations} 个驿站，{units} 件，{trips} 趟，{km} 公里', generated: '生成于 {time}',
      runSheetZh: '派送单（中文）', runSheetEn: '派送单（English）', csv: 'CSV',
      stops: '停靠点', station: '驿站', item: '物资', level: '存量', bring: '需带', emptyIn: '预计用完', action: '操作',
      restocked: '已补货', logged: '已记录：{station} 补 {item} {quantity}。',
      source: '来源', donor: '捐赠单位', donorNeeded: '捐赠需填写捐赠单位。',
      nothing: '预测期内无需补货。', unroutable: '{n} 个驿站需要补货但没有坐标。'
    },
    // 物资目录（管理页“物资目录”标签）。
    catalog: {
      station: '站点', items: '物资', item: '物资代码', itemHint: '如 bottled-water', name: '名称', nameZh: '中文名称', nameEn: '英文名称',
      unit: '单位', capacity: '货架容量', threshold: '补货阈值（不高于）', weather: '受天气影响', price: '单价（元）',
      weatherName: { none: '否', rain: '降雨', heat: '高温', cold: '低温' },
      add: '添加物资', edit: '编辑', editing: '正在编辑 {item}', remove: '删除', save: '保存', cancel: '取消', none: '尚无物资。',
      wholeDistrict: '应用到{district}的所有站点',
      saved: '已保存 {item}。', savedDistrict: '已为{district}的 {n} 个站点设置 {item}。', removed: '已删除 {item}。',
      confirmRemove: '从 {station} 的目录中删除 {item}？'
    },
    deliveries: {
      title: '定期配送', add: '添加配送', remove: '删除', none: '没有定期配送。',
      quantity: '数量', supplier: '供应单位', source: '来源', days: '日期', at: '送达时间', everyDay: '每天',
      confirmRemove: '删除 {supplier} 的 {item} 配送？'
    }
  }
}

export default zhCN
