/** What every component may reach without prop drilling: the host and app-wide actions. */

import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { HostCapabilities } from '../src/protocol/messages';
import type { InspectorHost } from './host/types';

/** Services of the app, provided once at the root. */
export interface AppServices {
  host: InspectorHost;
  capabilities: HostCapabilities;
  /** Shows a short message (a toast); `error` styles it as a failure. */
  notify(message: string, kind?: 'info' | 'error'): void;
  /** Copies text through the host and confirms it. */
  copy(text: string, what?: string): void;
  /** Opens another trace (links between traces). */
  openTrace(traceId: string, spanId?: string): void;
}

export const ServicesContext = createContext<AppServices | null>(null);

/** The app services; components are only ever rendered under the provider. */
export function useServices(): AppServices {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices outside ServicesContext');
  return services;
}
