import { costsTriggerCollection } from '../../lib/api/handlers/costs';
import { httpHandler } from '../_runtime';

export const handler = httpHandler(costsTriggerCollection);
