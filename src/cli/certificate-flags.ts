/**
 * serve's certificate flags (--certificate-secret and what goes with it), declared for node:util parseArgs and for
 * the commander declarations alike (type, multiple and default are read by both; value and help are for --help).
 * Light on purpose: serve-command.ts imports it to answer --help without loading the Kubernetes client.
 */
export const CERTIFICATE_FLAGS = {
  'certificate-secret': {
    type: 'string' as const,
    value: 'NAMESPACE/NAME',
    help: "keep the serving certificate, its CA and the webhooks' caBundle in this Secret (the elected replica renews; excludes --patch-ca-bundle)",
  },
  'certificate-lifetime': { type: 'string' as const, value: 'DURATION', default: '2160h', help: "serving certificates' lifetime (90 days, cert-manager's default)" },
  'ca-lifetime': { type: 'string' as const, value: 'DURATION', default: '8760h', help: 'the CA lifetime; it is replaced with an overlap before it ends' },
  'renew-before-percentage': { type: 'string' as const, value: 'PERCENT', help: 'renew when this much of a lifetime is left (default a third, as cert-manager)' },
  'certificate-ip-address': {
    type: 'string' as const,
    multiple: true as const,
    value: 'IP',
    default: [] as string[],
    help: 'also name IP in the serving certificate (a webhook reached by clientConfig.url)',
  },
};

