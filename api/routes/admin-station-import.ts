// POST /stations/import (admin): many stations from one CSV file, all or nothing. A file
// with any bad row imports nothing and the answer lists every bad row, so a clerk can fix the
// spreadsheet in one go.
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Admin } from '../../registry/admin.ts'
import { RegistryError } from '../../registry/registry-error.ts'
import { IMPORT_COLUMNS, MAX_IMPORT_ROWS } from '../../registry/station-import.ts'
import { actorOf } from '../auth/roles.ts'
import { ErrorBody, errorBody, errorResponses, httpError } from '../errors.ts'

export type AdminStationImportRouteOptions = { admin: Admin, bodyLimit: number }

const ImportResult = z.object({
  imported: z.int(),
  stations: z.array(z.string()).describe('Ids of the stations created')
}).meta({ example: { imported: 2, stations: ['sz-futian-001', 'sz-nanshan-002'] } })

const ImportRefused = z.object({
  error: z.string(),
  message: z.string(),
  statusCode: z.int(),
  errors: z.array(z.string()).describe('One entry per bad row (at most 100), with its line number')
}).meta({
  description: 'Nothing was imported',
  example: {
    error: 'Unprocessable Entity',
    message: 'nothing imported; 2 bad row(s)',
    statusCode: 422,
    errors: ['line 3 (sz-x-1): capacity: Too small: expected number to be >=1', 'line 5: station sz-futian-001 already exists']
  }
})

const EXAMPLE_CSV = 'id,name,district,lat,lon,datum,capacity,opening_hours,amenities\n' +
  'sz-futian-001,福田区华强北爱心驿站,福田区,22.5416,114.0931,gcj02,16,1-5 06:00-22:00; 6-7 08:00-20:00,ac;charger;microwave\n'

export const adminStationImportRoute: FastifyPluginAsyncZod<AdminStationImportRouteOptions> = async (app, { admin, bodyLimit }) => {
  // Only in this plugin's scope: no other route accepts CSV.
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit }, (_request, body, done) => done(null, body))

  app.post('/stations/import', {
    config: { auth: 'admin' },
    bodyLimit,
    // Before validation: Fastify would also hand a text/plain body over as a string.
    preValidation: async (request) => {
      if (!/^text\/csv\s*(?:;|$)/i.test(request.headers['content-type'] ?? '')) throw httpError(415, 'send the CSV file with Content-Type: text/csv')
    },
    schema: {
      summary: 'Import stations from CSV (all or nothing)',
      description: `Content-Type: text/csv (UTF-8). A header row naming columns from ${IMPORT_COLUMNS.join(', ')} ` +
        `(id and name required, any order), then at most ${MAX_IMPORT_ROWS} rows. opening_hours: "24h" or ` +
        '"1-5 06:00-22:00; 6-7 08:00-20:00" (ISO weekdays); amenities separated by ";"; datum: wgs84 (default) or gcj02, ' +
        'the datum lat and lon are in (gcj02 for positions taken from a map of mainland China such as AMap).',
      tags: ['admin'],
      consumes: ['text/csv'],
      body: z.string().meta({ example: EXAMPLE_CSV }),
      response: {
        201: ImportResult,
        ...errorResponses,
        415: ErrorBody.describe('Not text/csv'),
        422: ImportRefused
      }
    }
  }, async (request, reply) => {
    if (request.body.trim() === '') throw httpError(400, 'the CSV file is empty')
    try {
      const stations = await admin.importStations(actorOf(request), request.body)
      return reply.code(201).send({ imported: stations.length, stations: stations.map((s) => s.id) })
    } catch (err) {
      if (!(err instanceof RegistryError) || err.code !== 'invalid') throw err
      // The registry's message is a summary line followed by one line per bad row; without
      // rows it is about the file as a whole (header, encoding, size): a plain 400.
      const [summary = '', ...rows] = err.message.split('\n')
      if (rows.length === 0) throw err
      return reply.code(422).send({ ...errorBody(422, summary.replace(/:$/, '')), errors: rows })
    }
  })
}
