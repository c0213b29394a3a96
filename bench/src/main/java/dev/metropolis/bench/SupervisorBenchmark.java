package dev.metropolis.bench;

import dev.metropolis.osbase.logtree.LogTree;
import dev.metropolis.osbase.supervisor.Options;
import dev.metropolis.osbase.supervisor.RunnableState;
import dev.metropolis.osbase.supervisor.ShutdownResult;
import dev.metropolis.osbase.supervisor.SupervisedRunnable;
import dev.metropolis.osbase.supervisor.Supervisor;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One whole life cycle of a large supervision tree: a root declares {@code groups} groups of {@code
 * perGroup} runnables each (10,000 by default), every one signals Healthy and waits for
 * cancellation; the benchmark waits until the supervisor has seen all of them Healthy, then shuts
 * the tree down and waits for every thread to exit.
 *
 * <p>{@code java -jar bench/target/benchmarks.jar SupervisorBenchmark -f 1 -wi 2 -i 3}
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@State(Scope.Thread)
public class SupervisorBenchmark {
  private static final Duration BOUND = Duration.ofSeconds(60);

  @Param("100")
  int groups;

  @Param("100")
  int perGroup;

  @Benchmark
  public ShutdownResult startAllHealthyThenShutdown() throws Exception {
    CountDownLatch healthy = new CountDownLatch(groups * perGroup);
    Options options =
        Options.defaults()
            .withListener(t -> {
              if (t.to() == RunnableState.HEALTHY && t.dn().parts().size() == 2) {
                healthy.countDown();
              }
            });
    SupervisedRunnable leaf =
        ctx -> {
          ctx.signalHealthy();
          ctx.awaitCancel();
        };
    SupervisedRunnable root =
        ctx -> {
          for (int g = 0; g < groups; g++) {
            Map<String, SupervisedRunnable> members = new LinkedHashMap<>();
            for (int i = 0; i < perGroup; i++) {
              members.put("g" + g + "_" + i, leaf);
            }
            ctx.runGroup(members);
          }
          ctx.signalHealthy();
          ctx.awaitCancel();
        };
    Supervisor sup = Supervisor.start(new LogTree(), root, options);
    if (!healthy.await(BOUND.toSeconds(), TimeUnit.SECONDS)) {
      throw new IllegalStateException(healthy.getCount() + " runnables never became healthy");
    }
    ShutdownResult result = sup.shutdown(BOUND);
    if (!result.clean()) {
      throw new IllegalStateException(result.hung().size() + " runnables hung at shutdown");
    }
    return result;
  }
}
