// English UI strings. zh-CN.ts has the same keys (the type check enforces it).
import alerts from './alerts.en.ts'
const en = {
  app: {
    title: 'Waystation',
    skip: 'Skip to content',
    loading: 'Loading…',
    retry: 'Retry',
    error: 'Could not load: {message}',
    notFound: 'There is no such page.',
    backToFleet: 'Back to the fleet',
    none: 'none',
    close: 'Close',
    copy: 'Copy',
    copied: 'Copied',
    cancel: 'Cancel',
    save: 'Save'
  },
  nav: {
    main: 'Main',
    fleet: 'Fleet',
    fleetAnalytics: 'Fleet analytics',
    admin: 'Administration',
    signOut: 'Sign out',
    language: 'Language',
    user: 'Signed in as {name}'
  },
  roles: { viewer: 'Viewer', operator: 'Operator', admin: 'Administrator' },
  scope: { all: 'all stations', district: 'district {district}', stations: '{n} station | {n} stations' },
  signIn: {
    title: 'Sign in to Waystation',
    intro: 'Paste the API token you were given. It is exchanged for a session cookie and not stored in this browser.',
    token: 'API token',
    submit: 'Sign in',
    busy: 'Signing in…',
    reason: {
      session_expired: 'Your session has expired. Please sign in again.',
      token_revoked: 'Your token has been revoked. Ask an administrator for a new one.',
      signed_out: 'You have signed out.',
      signed_out_elsewhere: 'You were signed out in another tab or window. Sign in again to continue.',
      no_session: '',
      bad_token: 'This token is not valid: it is unknown, expired or revoked.'
    },
    empty: 'Enter a token.',
    failed: 'Sign-in failed: {message}'
  },
  state: { quiet: 'Open, quiet', busy: 'Busy', full: 'Full', offline: 'Offline' },
  fleet: {
    title: 'Fleet',
    map: 'Map of the stations',
    mapHint: 'Scroll or pinch to zoom, drag to pan.',
    mapMissing: '{n} stations without coordinates are not on the map.',
    table: 'Stations',
    filter: 'Filter by name or id',
    district: 'District',
    allDistricts: 'All districts',
    stateFilter: 'State',
    allStates: 'All states',
    byDistrict: 'Stations by district',
    col: {
      name: 'Station', district: 'District', visits: 'Visits today', occupancy: 'Occupancy', temperature: 'Temperature',
      devices: 'Devices online', lastData: 'Last data', state: 'State'
    },
    sortBy: 'Sort by {column}',
    shown: '{shown} of {total} stations',
    empty: 'No station matches.',
    wall: 'Wall screen',
    pages: 'Pages of the table',
    page: 'Page {page} of {pages}',
    prev: 'Previous page',
    next: 'Next page',
    updated: 'Updated {time}'
  },
  live: { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', lastUpdate: 'Last update {time}' },
  wall: {
    visitsToday: 'Visits today',
    uniqueToday: 'Workers today',
    occupancy: 'People inside',
    ofCapacity: 'of {capacity}',
    climate: 'Indoor climate',
    devices: 'Devices',
    equipment: 'Equipment',
    supplies: 'Supplies',
    last30: 'Visits per day, last 30 days',
    byHour: 'Entries per hour today',
    noData: 'No data yet'
  },
  climate: { temperature: 'Temperature', humidity: 'Humidity', co2: 'CO₂', pm25: 'PM2.5' },
  comfort: { good: 'Comfortable', fair: 'Fair', poor: 'Poor', unknown: 'Unknown' },
  device: { online: 'online', offline: 'offline', lastSeen: 'last seen {time}' },
  equipment: { on: 'on', off: 'off', fault: 'fault' },
  appliance: {
    microwave: 'Microwave', ac: 'Air conditioner', tv: 'TV', water_dispenser: 'Water dispenser', charger: 'Charger',
    fridge: 'Fridge', light: 'Light', air_purifier: 'Air purifier'
  },
  station: {
    title: 'Station analytics',
    from: 'From',
    to: 'To',
    apply: 'Show',
    presets: 'Quick ranges',
    last7: 'Last 7 days',
    last30: 'Last 30 days',
    last90: 'Last 90 days',
    granularity: 'Per',
    per: { day: 'day', week: 'week', month: 'month' },
    visits: 'Visits',
    unique: 'Unique workers',
    firstTime: 'First-time workers',
    peakHours: 'Peak hours (entries by hour and weekday)',
    occupancy: 'Occupancy',
    meanOccupancy: 'Mean occupancy',
    maxOccupancy: 'Max occupancy',
    capacityLine: 'Capacity {capacity}',
    climate: 'Climate (daily means)',
    dwell: 'Length of stay',
    dwellMedian: 'Median {median} min, 90th percentile {p90} min',
    minutes: '{from}–{to} min',
    comfort: 'Comfort',
    comfortShare: 'Time inside the comfort band: {share}',
    completeness: 'Data completeness',
    completeDays: '{complete} of {days} days complete',
    envShare: 'Climate samples received: {share}',
    report: 'Monthly report',
    month: 'Month',
    csv: 'Download CSV',
    xlsx: 'Download Excel',
    wall: 'Open wall screen',
    zone: 'Dates and times in the station’s time zone ({zone})',
    totals: 'Totals: {visits} visits, {unique} workers'
  },
  fleetAnalytics: {
    title: 'Fleet analytics',
    sort: 'Rank by',
    sortBy: { visits: 'Visits', uniqueWorkers: 'Unique workers', firstTimeVisitors: 'First-time workers', utilisation: 'Utilisation', comfort: 'Comfort', completeness: 'Completeness' },
    rankings: 'Station ranking',
    districts: 'Districts',
    totals: '{stations} stations, {visits} visits, {denied} refused',
    col: { rank: 'Rank', station: 'Station', district: 'District', stations: 'Stations', visits: 'Visits', unique: 'Workers', firstTime: 'First-time', utilisation: 'Utilisation', comfort: 'Comfort', incomplete: 'Incomplete days', denied: 'Refused' }
  },
  admin: {
    title: 'Administration',
    forbidden: 'Only administrators can see this page.',
    tabs: { stations: 'Stations', devices: 'Devices', services: 'Service clients', tokens: 'API tokens', audit: 'Audit log', supplies: 'Supplies catalog' },
    secretOnce: 'Copy this secret now: it is shown only once.',
    secret: 'Secret',
    rotate: 'Rotate',
    revoke: 'Revoke',
    revoked: 'revoked',
    active: 'active',
    confirmRevoke: 'Revoke {id}? This cannot be undone.',
    station: {
      add: 'Add station', edit: 'Edit', suspend: 'Suspend', resume: 'Resume', id: 'Id', name: 'Name', district: 'District',
      address: 'Address', capacity: 'Capacity', timezone: 'Time zone', lat: 'Latitude', lon: 'Longitude', datum: 'Datum', status: 'Status',
      import: 'Import from CSV', importFile: 'CSV file', imported: 'Imported {n} station(s).', importErrors: 'Nothing was imported:',
      saved: 'Saved.'
    },
    statusName: { active: 'active', suspended: 'suspended', retired: 'retired' },
    datumName: { wgs84: 'WGS-84 (GPS, OpenStreetMap)', gcj02: 'GCJ-02 (AMap and other maps of mainland China)' },
    device: { station: 'Station', add: 'Add device', id: 'Device id', kind: 'Kind', created: 'Created', rotated: 'Rotated', status: 'Status' },
    service: { add: 'Add service client', id: 'Id', name: 'Name', scope: 'Scope', permission: 'Permission', districtName: 'District', stationIds: 'Station ids (comma-separated)' },
    scopeKind: { all: 'All stations', district: 'One district', stations: 'Listed stations' },
    token: { add: 'Create token', name: 'Name', role: 'Role', expires: 'Expires', never: 'never', lastUsed: 'Last used', created: 'Created' },
    audit: { at: 'When', actor: 'Who', action: 'Action', target: 'Object', target_filter: 'Object (kind:id)', more: 'Older entries', change: 'Change' }
  },
  // Alert views (issue 13): their own file.
  alerts,
  // Supplies (issue 14): wall bars, station panel, Restock view.
  supplies: {
    nav: 'Restock',
    title: 'Supplies',
    level: { ok: 'OK', low: 'Low', empty: 'Empty' },
    priority: { empty: 'empty', urgent: 'urgent', due: 'due' },
    source: { purchase: 'Purchase', donation: 'Donation', unknown: 'Unlogged (sensor)' },
    hours: '{h} h',
    emptyIn: 'Empty in {time} (90 %: {low}–{high})',
    notEmpty: 'Not empty within the forecast',
    // A restock logged since the shelf sensor's last reading (LiveSupply.pendingRestock).
    pendingRestock: 'includes {n} restocked, not yet read by the shelf sensor',
    pendingShort: '+{n} restocked, not yet read by the sensor',
    recent: 'Recent restocks',
    noRestocks: 'No restocks in the last 14 days',
    col: { item: 'Item', level: 'Level', empty: 'Forecast', at: 'When', quantity: 'Quantity', source: 'Source', by: 'By' },
    restock: {
      title: 'Restock plan',
      intro: 'Give a depot (lat,lon or a station id) to plan the trips.',
      depot: 'Depot', depotHint: 'lat,lon or station id', district: 'District', horizon: 'Horizon', capacity: 'Vehicle capacity',
      show: 'Plan', map: 'Restock trips on the map', trip: 'Trip {n}', tripTotals: '{km} km, {load} units',
      totals: '{stations} stations, {units} units, {trips} trips, {km} km', generated: 'planned {time}',
      runSheetZh: 'Run sheet (中文)', runSheetEn: 'Run sheet (English)', csv: 'CSV',
      stops: 'Stops', station: 'Station', item: 'Item', level: 'Level', bring: 'Bring', emptyIn: 'Empty in', action: 'Action',
      restocked: 'Restocked', logged: 'Logged: {quantity} × {item} at {station}.',
      source: 'Source', donor: 'Donor', donorNeeded: 'A donation names its donor.',
      nothing: 'Nothing to restock within the horizon.', unroutable: '{n} station(s) need supplies but have no coordinates.'
    },
    // Catalog editor (admin tab "Supplies catalog").
    catalog: {
      station: 'Station', items: 'Items', item: 'Item (slug)', itemHint: 'e.g. bottled-water', name: 'Name', nameZh: 'Name (Chinese)', nameEn: 'Name (English)',
      unit: 'Unit', capacity: 'Shelf capacity', threshold: 'Reorder at or below', weather: 'Weather-driven', price: 'Unit price (yuan)',
      weatherName: { none: 'No', rain: 'Rain', heat: 'Heat', cold: 'Cold' },
      add: 'Add item', edit: 'Edit', editing: 'Editing {item}', remove: 'Remove', save: 'Save', cancel: 'Cancel', none: 'No items yet.',
      wholeDistrict: 'For every station of {district}',
      saved: '{item} saved.', savedDistrict: '{item} set for {n} station(s) of {district}.', removed: '{item} removed.',
      confirmRemove: 'Remove {item} from the catalog of {station}?'
    },
    deliveries: {
      title: 'Scheduled deliveries', add: 'Add delivery', remove: 'Remove', none: 'No scheduled deliveries.',
      quantity: 'Quantity', supplier: 'Supplier', source: 'Source', days: 'Days', at: 'Arrives at', everyDay: 'Every day',
      confirmRemove: 'Remove the delivery of {item} by {supplier}?'
    }
  }
}

export type Messages = typeof en
export default en
