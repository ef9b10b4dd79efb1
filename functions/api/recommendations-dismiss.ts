import { recommendationsDismiss } from '../../lib/api/handlers/recommendations';
import { httpHandler } from '../_runtime';

export const handler = httpHandler(recommendationsDismiss);
