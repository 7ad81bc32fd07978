import type { LabelSelector } from './types.js';

export type Labels = Readonly<Record<string, string>>;

/**
 * Kubernetes label selector semantics (apimachinery labels.Selector): matchLabels and every matchExpression must
 * hold; an empty selector matches everything. NotIn and DoesNotExist match objects without the key.
 */
export function compileSelector(selector: LabelSelector): (labels: Labels) => boolean {
  const requirements = [
    ...Object.entries(selector.matchLabels ?? {}).map(([key, value]) => ({ key, operator: 'In' as const, values: [value] })),
    ...(selector.matchExpressions ?? []),
  ];
  return (labels) =>
    requirements.every(({ key, operator, values = [] }) => {
      const has = Object.hasOwn(labels, key);
      switch (operator) {
        case 'In':
          return has && values.includes(labels[key] as string);
        case 'NotIn':
          return !has || !values.includes(labels[key] as string);
        case 'Exists':
          return has;
        case 'DoesNotExist':
          return !has;
      }
    });
}

export function describeSelector(selector: LabelSelector): string {
  const parts = [
    ...Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(selector.matchExpressions ?? []).map((e) => `${e.key} ${e.operator}${e.values?.length ? ` (${e.values.join(',')})` : ''}`),
  ];
  return parts.length ? parts.join(', ') : 'everything';
}
