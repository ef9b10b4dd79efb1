import { performanceTrends } from '../../lib/api/handlers/performance';
import { httpHandler } from '../_runtime';

export const handler = httpHandler(performanceTrends);
