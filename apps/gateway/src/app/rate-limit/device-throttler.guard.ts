/**
 * Per-device rate limits (@nestjs/throttler, in memory per gateway instance). Runs after
 * DeviceAuthGuard, so an authenticated request counts against its token's device; public
 * routes count against the device they name (or the client address when they name none).
 */
import { Injectable } from '@nestjs/common';
import { DeviceIdSchema, UserIdSchema } from '@parley/contracts';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { AuthenticatedRequest } from '../auth/device-auth.guard';

@Injectable()
export class DeviceThrottlerGuard extends ThrottlerGuard {
  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    const request = req as unknown as AuthenticatedRequest;
    if (request.device)
      return Promise.resolve(`device:${request.device.userId}:${request.device.deviceId}`);
    const body = request.body as { userId?: unknown; deviceId?: unknown } | undefined;
    const userId = UserIdSchema.safeParse(body?.userId);
    const deviceId = DeviceIdSchema.safeParse(body?.deviceId);
    if (userId.success && deviceId.success) {
      return Promise.resolve(`device:${userId.data}:${deviceId.data}`);
    }
    return Promise.resolve(`ip:${request.ip}`);
  }
}
