// Device-side helpers for the SDK: records sealed at rest, gateway auth signatures.
export { AT_REST_KEY_BYTES, sealAtRest, openAtRest, atRestRecordId } from './at-rest';
export { signDeviceAuthMessage } from './auth-signature';
