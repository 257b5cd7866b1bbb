// Package entry: the only barrel in the project. Everything outside contract/ imports from here.
export * from './ids.ts'
export * from './envelope.ts'
export * from './payloads.ts'
export * from './topics.ts'
export * from './parse-message.ts'
