import { Agent, request } from 'node:https';

/** kube-apiserver's view of the webhook: HTTPS to 127.0.0.1, verifying the serving cert against the caBundle for the Service DNS name. */
export const SERVICE_DNS_NAME = 'distroless-guard.distroless-guard.svc';

export interface HttpsReply {
  readonly status: number;
  readonly body: string;
  readonly json: unknown;
}

/** A client certificate and its key (PEM), as kube-apiserver presents with an AdmissionConfiguration kubeConfigFile. */
export interface ClientIdentity {
  readonly cert: string;
  readonly key: string;
}

export function apiserverClient(port: number, ca: string | Buffer, identity?: ClientIdentity) {
  const agent = new Agent({ keepAlive: true, maxSockets: 4, ca, servername: SERVICE_DNS_NAME, ...identity });
  return {
    agent,
    post(path: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<HttpsReply> {
      return send('POST', path, body, headers);
    },
    get(path: string): Promise<HttpsReply> {
      return send('GET', path, undefined, {});
    },
    close(): void {
      agent.destroy();
    },
  };

  function send(method: string, path: string, body: string | Buffer | undefined, headers: Record<string, string>): Promise<HttpsReply> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, agent, headers, servername: SERVICE_DNS_NAME }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: text, json });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}
