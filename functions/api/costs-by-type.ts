import { costsByTypeHandler } from '../../lib/api/handlers/costs';
import { httpHandler } from '../_runtime';

export const handler = httpHandler(costsByTypeHandler);
