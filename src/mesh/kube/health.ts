// What each kind of the catalogue answers to `health`: a verdict, what it is about, the reason, and the
// evidence it was judged on (a log line, a metric) when there is some.

export type Health = 'ok' | 'warning' | 'failing' | 'absent';

export interface HealthLine {
  health: Health;
  subject: string;
  detail: string;
  evidence?: string;
  /** A number the verdict was read from (federation: remote_cluster_connection_status), for the gauges. */
  value?: number;
}

/** What `remove` deleted, by kind, for the thread ("deleted 1 RemoteClusterConfiguration, 2 Service"). */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}
