// The figure endpoints, registered together: usage, occupancy, peak hours, dwell, comfort,
// completeness, fleet summary and monthly reports. Design: docs/rollups.md.
import type { FastifyPluginAsync } from 'fastify'
import type { FigureRouteOptions } from './usage.ts'
import { comfortRoute } from './comfort.ts'
import { completenessRoute } from './completeness.ts'
import { dwellRoute } from './dwell.ts'
import { fleetRoute } from './fleet.ts'
import { occupancyRoute } from './occupancy.ts'
import { peakHoursRoute } from './peak-hours.ts'
import { reportsRoute } from './reports.ts'
import { usageRoute } from './usage.ts'

export const figureRoutes: FastifyPluginAsync<FigureRouteOptions> = async (app, opts) => {
  for (const route of [usageRoute, occupancyRoute, peakHoursRoute, dwellRoute, comfortRoute, completenessRoute, fleetRoute, reportsRoute]) {
    await app.register(route, opts)
  }
}
