package dev.metropolis.node.metrics;

import dev.metropolis.osbase.supervisor.RunnableInfo;
import dev.metropolis.osbase.supervisor.RunnableState;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The node core's own metrics ({@code /metrics/core}): its supervision tree, the curator's RPCs,
 * heartbeat ages (on the leader) and the JVM. Shared by the runnables that feed it and the metrics
 * server that reads it.
 */
public final class CoreMetrics {
  private final Supplier<List<RunnableInfo>> runnables;
  private final RpcMetrics curatorRpc = new RpcMetrics("metropolis_curator_rpc");
  private final AtomicReference<Supplier<Map<String, Duration>>> heartbeats =
      new AtomicReference<>();

  public CoreMetrics(Supplier<List<RunnableInfo>> runnables) {
    this.runnables = runnables;
  }

  /** The interceptor to install on the curator listener. */
  public RpcMetrics curatorRpc() {
    return curatorRpc;
  }

  /**
   * Heartbeat ages by node ID, while this node's curator runs; it answers an empty map unless it
   * leads. Null when no curator runs here.
   */
  public void heartbeatSource(Supplier<Map<String, Duration>> source) {
    heartbeats.set(source);
  }

  public String render() {
    Exposition out = new Exposition();
    List<RunnableInfo> rs = runnables.get();
    Map<RunnableState, Integer> byState = new EnumMap<>(RunnableState.class);
    for (RunnableState s : RunnableState.values()) {
      byState.put(s, 0);
    }
    for (RunnableInfo r : rs) {
      byState.merge(r.state(), 1, Integer::sum);
    }
    out.family(
        "metropolis_supervisor_runnables", "gauge", "Runnables in the supervision tree by state.");
    byState.forEach(
        (s, n) -> out.sample("metropolis_supervisor_runnables", Map.of("state", s.name()), n));
    out.family(
        "metropolis_supervisor_runnable_restarts",
        "gauge",
        "Restarts of each runnable since it (or its parent) was last created.");
    for (RunnableInfo r : rs) {
      out.sample(
          "metropolis_supervisor_runnable_restarts", Map.of("dn", r.dn().value()), r.restarts());
    }
    curatorRpc.write(out);
    out.family(
        "metropolis_curator_heartbeat_age_seconds",
        "gauge",
        "Seconds since each node's last heartbeat, as this node's curator sees it while leading.");
    var source = heartbeats.get();
    if (source != null) {
      new TreeMap<>(source.get())
          .forEach((node, age) ->
              out.sample(
                  "metropolis_curator_heartbeat_age_seconds",
                  Map.of("node", node),
                  age.toNanos() / 1e9));
    }
    jvm(out);
    return out.toString();
  }

  private static void jvm(Exposition out) {
    var mem = ManagementFactory.getMemoryMXBean();
    out.family("jvm_memory_used_bytes", "gauge", "Used JVM memory by area.");
    area(out, "jvm_memory_used_bytes", mem, MemoryUsage::getUsed);
    out.family("jvm_memory_committed_bytes", "gauge", "Committed JVM memory by area.");
    area(out, "jvm_memory_committed_bytes", mem, MemoryUsage::getCommitted);
    out.family("jvm_memory_max_bytes", "gauge", "Maximum JVM memory by area (-1: undefined).");
    area(out, "jvm_memory_max_bytes", mem, MemoryUsage::getMax);
    out.family("jvm_gc_collection_seconds", "summary", "Time spent in each garbage collector.");
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      var l = Map.of("gc", gc.getName());
      out.sample("jvm_gc_collection_seconds_count", l, Math.max(0, gc.getCollectionCount()));
      out.sample(
          "jvm_gc_collection_seconds_sum", l, (double) Math.max(0, gc.getCollectionTime()) / 1e3);
    }
    out.family("jvm_threads_current", "gauge", "Live JVM platform threads.");
    out.sample("jvm_threads_current", ManagementFactory.getThreadMXBean().getThreadCount());
  }

  private static void area(
      Exposition out,
      String name,
      java.lang.management.MemoryMXBean mem,
      java.util.function.ToLongFunction<MemoryUsage> f) {
    out.sample(name, Map.of("area", "heap"), f.applyAsLong(mem.getHeapMemoryUsage()));
    out.sample(name, Map.of("area", "nonheap"), f.applyAsLong(mem.getNonHeapMemoryUsage()));
  }
}
