import { fromClickHouseTime, toClickHouseTime } from '../../time';
import type { Store } from '../client';
import type { Writer } from '../writer';

export interface WatermarkKey {
  customerId: string;
  provider: string;
  dataType: string;
}

/** End of the last window written successfully, or null if none yet. */
export async function getWatermark(store: Store, key: WatermarkKey): Promise<Date | null> {
  const rs = await store.client.query({
    query: `SELECT watermark FROM watermarks FINAL
      WHERE customer_id = {c:String} AND provider = {p:String} AND data_type = {d:String} LIMIT 1`,
    query_params: { c: key.customerId, p: key.provider, d: key.dataType },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ watermark: string }>();
  return rows[0] ? fromClickHouseTime(rows[0].watermark) : null;
}

export async function setWatermark(
  writer: Writer,
  key: WatermarkKey,
  watermark: Date,
  taskId: string,
): Promise<void> {
  await writer.write('watermarks', [
    {
      customer_id: key.customerId,
      provider: key.provider,
      data_type: key.dataType,
      watermark: toClickHouseTime(watermark),
      task_id: taskId,
      updated_at: new Date(),
    },
  ]);
}
