import { health } from '../../lib/api/handlers/health';
import { httpHandler } from '../_runtime';

export const handler = httpHandler(health);
