import { resourcesChanges } from '../../lib/api/handlers/resources';
import { httpHandler } from '../_runtime';

export const handler = httpHandler(resourcesChanges);
