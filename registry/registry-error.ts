import type { z } from 'zod'

export type RegistryErrorCode = 'not_found' | 'conflict' | 'invalid'

export class RegistryError extends Error {
  readonly code: RegistryErrorCode
  constructor (code: RegistryErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

export function invalid (error: z.ZodError): RegistryError {
  return new RegistryError('invalid', error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '))
}
