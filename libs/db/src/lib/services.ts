/**
 * The services that own tables. Each has `prisma/<service>/schema.prisma`, its migrations in
 * `prisma/<service>/migrations/`, and its tables in its own PostgreSQL schema.
 */
export const SERVICE_NAMES = [
  'prekey-directory',
  'group-membership',
  'message-delivery',
  'push-notification',
  'gateway',
] as const;

export type ServiceName = (typeof SERVICE_NAMES)[number];

/** The PostgreSQL schema of a service: its name with `_` for `-` (`prekey_directory`). */
export function serviceSchema(service: ServiceName): string {
  return service.replace(/-/g, '_');
}

export function isServiceName(value: string): value is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(value);
}
