package dev.metropolis.osbase.supervisor;

import static dev.metropolis.osbase.supervisor.RunnableState.CANCELED;
import static dev.metropolis.osbase.supervisor.RunnableState.DEAD;
import static dev.metropolis.osbase.supervisor.RunnableState.DONE;
import static dev.metropolis.osbase.supervisor.RunnableState.HEALTHY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.metropolis.osbase.logtree.DN;
import dev.metropolis.osbase.logtree.LogEntry;
import dev.metropolis.osbase.logtree.LogReader;
import dev.metropolis.osbase.logtree.ReadOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runs real processes through /bin/sh. */
@Timeout(60)
class ProcessRunnableTest {
  private final Harness h = new Harness();

  @AfterEach
  void tearDown() throws InterruptedException {
    h.close();
  }

  private static SupervisedRunnable rootWith(String name, SupervisedRunnable child) {
    return ctx -> {
      ctx.run(name, child);
      ctx.signalHealthy();
      ctx.awaitCancel();
    };
  }

  /** Waits for the first raw line at {@code dn} and parses it as a pid. */
  private long awaitPid(String dn) throws InterruptedException {
    h.logs.register(DN.of(dn));
    try (LogReader r =
        h.logs.read(DN.of(dn), ReadOptions.backlogOnly().onlyRaw(true).stream(true))) {
      for (LogEntry e : r.backlog()) {
        return Long.parseLong(((LogEntry.Raw) e).data());
      }
      LogEntry e = r.poll(Harness.WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(e).as("pid line from " + dn).isNotNull();
      return Long.parseLong(((LogEntry.Raw) e).data());
    }
  }

  /** Whether {@code pid} runs; a zombie (killed, waiting for PID 1 to reap it) does not. */
  private static boolean alive(long pid) throws IOException {
    if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      return false;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  @Test
  void nonZeroExitIsDeadWithTheExitCodeAndTheOutputIsLogged() throws Exception {
    h.start(
        rootWith(
            "cmd", ProcessRunnable.of("/bin/sh", "-c", "echo hi; echo; echo oops >&2; exit 3")));

    h.rec.await("root.cmd", DEAD);
    assertThat(h.raw("root.cmd")).containsExactlyInAnyOrder("hi", "", "oops");
    assertThat(h.leveled("root.cmd"))
        .anySatisfy(l -> assertThat(l).startsWith("FATAL").contains("exited with code 3"));
    assertThat(h.info("root.cmd").lastError())
        .hasValueSatisfying(
            e -> assertThat(e).contains("ProcessExitException").contains("exited with code 3"));
  }

  @Test
  void daemonExitingWithZeroIsDeadButOneShotIsDone() throws Exception {
    h.start(ctx -> {
      ctx.run("daemon", ProcessRunnable.of("/bin/sh", "-c", "exit 0"));
      ctx.run("oneshot", ProcessRunnable.of("/bin/sh", "-c", "echo done").oneShot());
      ctx.signalHealthy();
      ctx.awaitCancel();
    });

    h.rec.await("root.daemon", DEAD);
    h.rec.await("root.oneshot", DONE);
    assertThat(h.info("root.daemon").lastError())
        .hasValueSatisfying(e -> assertThat(e).contains("meant to run until cancelled"));
    assertThat(h.raw("root.oneshot")).containsExactly("done");
  }

  @Test
  void processIsKilledOnShutdown() throws Exception {
    h.start(rootWith("sleeper", ProcessRunnable.of("/bin/sh", "-c", "echo $$; exec sleep 100")));
    long pid = awaitPid("root.sleeper");
    h.rec.await("root.sleeper", HEALTHY);
    assertThat(alive(pid)).isTrue();

    assertThat(h.sup.shutdown(Harness.WAIT).clean()).isTrue();

    assertThat(alive(pid)).isFalse();
    assertThat(h.info("root.sleeper").state()).isEqualTo(CANCELED);
  }

  @Test
  void processIgnoringSigtermGetsSigkillAfterTheGrace() throws Exception {
    h.start(
        rootWith(
            "stubborn",
            ProcessRunnable.of("/bin/sh", "-c", "trap '' TERM; echo $$; exec sleep 100")
                .killGrace(Duration.ofMillis(200))));
    long pid = awaitPid("root.stubborn");
    h.rec.await("root.stubborn", HEALTHY);

    assertThat(h.sup.shutdown(Harness.WAIT).clean()).isTrue();

    assertThat(alive(pid)).isFalse();
    assertThat(h.leveled("root.stubborn"))
        .anySatisfy(l -> assertThat(l).startsWith("WARNING").contains("SIGKILL"));
  }

  @Test
  void descendantsAreKilledWithTheProcess() throws Exception {
    // The shell stays in the foreground; its child sleep would survive a SIGTERM to the shell
    // alone and hold the output pipe open.
    h.start(rootWith("tree", ProcessRunnable.of("/bin/sh", "-c", "sleep 100 & echo $!; wait")));
    long child = awaitPid("root.tree");
    h.rec.await("root.tree", HEALTHY);
    assertThat(alive(child)).isTrue();

    assertThat(h.sup.shutdown(Harness.WAIT).clean()).isTrue();

    assertThat(alive(child)).isFalse();
  }
}
