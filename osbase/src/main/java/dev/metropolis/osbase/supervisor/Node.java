package dev.metropolis.osbase.supervisor;

import dev.metropolis.osbase.logtree.DN;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One runnable's place in the tree. Owned by the supervisor's processor thread: no other thread
 * reads or writes these fields.
 */
final class Node {
  final Node parent;
  final DN dn;
  final SupervisedRunnable runnable;
  final Backoff backoff;
  final Map<String, Node> children = new LinkedHashMap<>();

  /** The siblings declared together with this node (including itself): they fail together. */
  List<Node> group = List.of();

  RunnableState state = RunnableState.NEW;

  /** The context of the current or last run; null before the first start. */
  Context ctx;

  /** Whether the runnable's thread is live. */
  boolean running;

  /** Dropped from the tree because an ancestor restarted. */
  boolean detached;

  /** Live threads in this subtree, this node included. */
  int live;

  int starts;

  /** Bumped on every restart decision, so that a stale backoff timer is ignored. */
  long generation;

  TimeSource.Scheduled timer;
  String lastError;

  Node(Node parent, DN dn, SupervisedRunnable runnable, BackoffPolicy policy) {
    this.parent = parent;
    this.dn = dn;
    this.runnable = runnable;
    this.backoff = new Backoff(policy);
  }

  boolean cancelled() {
    return ctx != null && ctx.isCancelled();
  }

  int restarts() {
    return Math.max(0, starts - 1);
  }
}
