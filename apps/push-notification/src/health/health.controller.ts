/**
 * `GET /health` when the service runs with PARLEY_HTTP_PORT (hybrid app): 200 when the
 * database answers, 503 otherwise. NATS needs no probe here: the process reconnects forever
 * and requests simply queue meanwhile.
 */
import { Controller, Get, HttpCode, Inject, ServiceUnavailableException } from '@nestjs/common';
import { PushNotificationDatabase } from '../database/push-notification.database';

@Controller('health')
export class HealthController {
  constructor(@Inject(PushNotificationDatabase) private readonly db: PushNotificationDatabase) {}

  @Get()
  @HttpCode(200)
  async health(): Promise<{ status: 'ok' }> {
    try {
      await this.db.client.$queryRaw`SELECT 1`;
    } catch {
      throw new ServiceUnavailableException({ status: 'unavailable', dependency: 'database' });
    }
    return { status: 'ok' };
  }
}
