import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { errorMessage } from '../errors';
import type { Logger } from '../logger';
import type { AlertView } from './repo';

/** What is sent when an alert opens or its incident is over. */
export interface AlertNotice {
  event: 'alert' | 'recovery';
  /** One line a person reads first (chat message, e-mail subject). */
  text: string;
  alert: AlertView;
}

/** Sends notices somewhere people look; resolves true when delivered. */
export interface AlertNotifier {
  send(notice: AlertNotice): Promise<boolean>;
}

/**
 * The notifier a deployment configures: an SNS topic (AWS; subscribable by e-mail, chat
 * integrations or a webhook), a webhook URL (local: any endpoint taking a JSON POST; the
 * body has `text` for chat tools), and always the log.
 */
export function createNotifier(opts: {
  logger: Logger;
  webhookUrl?: string | undefined;
  topicArn?: string | undefined;
  sns?: SNSClient;
  fetchImpl?: typeof fetch;
}): AlertNotifier {
  const { logger } = opts;
  const sns = opts.topicArn ? (opts.sns ?? new SNSClient({})) : undefined;
  const doFetch = opts.fetchImpl ?? fetch;
  return {
    async send(notice) {
      const a = notice.alert;
      const fields = {
        alert_id: a.alert_id,
        kind: a.kind,
        customer_id: a.customer_id,
        provider: a.provider,
        connection_id: a.connection_id,
        last_error: a.last_error,
      };
      if (notice.event === 'alert') logger.error(`ALERT: ${notice.text}`, fields);
      else logger.info(`RECOVERED: ${notice.text}`, fields);
      let delivered = !opts.webhookUrl && !sns;
      if (opts.webhookUrl) {
        try {
          const res = await doFetch(opts.webhookUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(notice),
            signal: AbortSignal.timeout(10_000),
          });
          delivered = res.ok;
          if (!res.ok) logger.warn('alert webhook refused the notice', { status: res.status });
        } catch (err) {
          // The URL is not logged: chat webhooks carry their token in it.
          logger.warn('alert webhook unreachable', {
            error: errorMessage(err).replace(/https?:\/\/\S+/g, '<url>'),
          });
        }
      }
      if (sns && opts.topicArn) {
        try {
          await sns.send(
            new PublishCommand({
              TopicArn: opts.topicArn,
              Subject:
                `OptiInfra ${notice.event === 'alert' ? 'alert' : 'recovered'}: ${a.kind} ${a.customer_id}/${a.provider}`.slice(
                  0,
                  99,
                ),
              Message: JSON.stringify(notice, null, 2),
              MessageAttributes: {
                event: { DataType: 'String', StringValue: notice.event },
                kind: { DataType: 'String', StringValue: a.kind },
                customer_id: { DataType: 'String', StringValue: a.customer_id },
              },
            }),
          );
          delivered = true;
        } catch (err) {
          logger.warn('alert topic publish failed', { error: errorMessage(err) });
        }
      }
      return delivered;
    },
  };
}
