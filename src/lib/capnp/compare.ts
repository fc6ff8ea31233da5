import type { CapnpModel } from './model.js';

export interface CapnpChange {
  severity: 'breaking' | 'compatible' | 'info';
  message: string;
  path: string;
  file: string;
  line: number;
  column: number;
  note?: string;
  kind?: string;
}

export function compareCapnp(_older: CapnpModel, _newer: CapnpModel): CapnpChange[] {
  return [];
}
