package dev.metropolis.osbase.supervisor;

/** The state of one runnable in the supervision tree. */
public enum RunnableState {
  /** Started, still setting up (declaring children); or about to be started again. */
  NEW,
  /** Set up and serving; it can no longer start children. */
  HEALTHY,
  /** Exited with an error, or returned without signalling Done; restarted after a backoff. */
  DEAD,
  /** Signalled Done and returned; not restarted (its children keep running). */
  DONE,
  /** Exited after its context was cancelled; restarted at once if its parent is alive. */
  CANCELED
}
