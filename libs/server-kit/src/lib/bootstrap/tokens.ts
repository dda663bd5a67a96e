/** Injection tokens of the kit (explicit tokens: no reliance on emitted type metadata). */
export const PARLEY_CONFIG = Symbol('PARLEY_CONFIG');
export const PARLEY_LOGGER = Symbol('PARLEY_LOGGER');
export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
export const PARLEY_SERVICE_NAME = Symbol('PARLEY_SERVICE_NAME');
