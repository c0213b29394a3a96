package dev.metropolis.osbase.supervisor;

import static dev.metropolis.osbase.supervisor.RunnableState.CANCELED;
import static dev.metropolis.osbase.supervisor.RunnableState.DEAD;
import static dev.metropolis.osbase.supervisor.RunnableState.DONE;
import static dev.metropolis.osbase.supervisor.RunnableState.HEALTHY;
import static dev.metropolis.osbase.supervisor.RunnableState.NEW;
import static org.assertj.core.api.Assertions.assertThat;

import dev.metropolis.osbase.logtree.DN;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class SupervisorTest {
  private final Harness h = new Harness();

  @AfterEach
  void tearDown() throws InterruptedException {
    h.close();
  }

  /** A root that starts the given children, each in its own group, then serves. */
  private static SupervisedRunnable rootWith(Map<String, SupervisedRunnable> children) {
    return ctx -> {
      children.forEach(ctx::run);
      ctx.signalHealthy();
      ctx.awaitCancel();
    };
  }

  private static SupervisedRunnable serving() {
    return ctx -> {
      ctx.signalHealthy();
      ctx.awaitCancel();
    };
  }

  private static void awaitUninterruptibly(CountDownLatch latch) {
    while (true) {
      try {
        latch.await();
        return;
      } catch (InterruptedException e) {
        // deliberately ignoring the supervisor's interrupt
      }
    }
  }

  @Test
  void throwingRunnableIsDeadLoggedAtFatalAndRestartedAfterBackoff() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    h.start(
        rootWith(
            Map.of(
                "failing",
                ctx -> {
                  runs.incrementAndGet();
                  throw new IOException("disk on fire");
                })));

    h.rec.await("root.failing", DEAD);
    assertThat(h.time.awaitRequest(1)).isEqualTo(Duration.ofMillis(250));
    RunnableInfo info = h.info("root.failing");
    assertThat(info.state()).isEqualTo(DEAD);
    assertThat(info.running()).isFalse();
    assertThat(info.lastError()).hasValueSatisfying(e -> assertThat(e).contains("disk on fire"));
    assertThat(h.leveled("root.failing"))
        .anySatisfy(l ->
            assertThat(l)
                .startsWith("FATAL")
                .contains("java.io.IOException: disk on fire")
                .contains("SupervisorTest"));
    // The parent is not affected by a child's death. (The child may die before the parent has
    // signalled healthy after starting it, so wait for that first.)
    h.rec.await("root", HEALTHY);
    assertThat(h.info("root").state()).isEqualTo(HEALTHY);
    assertThat(h.rec.count("root", DEAD)).isZero();

    h.time.advance(Duration.ofMillis(250));
    h.rec.await("root.failing", DEAD, 2);
    assertThat(runs).hasValue(2);
    assertThat(h.info("root.failing").restarts()).isEqualTo(1);
    assertThat(h.rec.count("root", NEW)).isEqualTo(1);
  }

  @Test
  void returningWithoutDoneIsDead() throws Exception {
    h.start(
        rootWith(
            Map.of(
                "quitter", ctx -> ctx.signalHealthy(),
                "early", ctx -> {})));

    h.rec.await("root.quitter", DEAD);
    h.rec.await("root.early", DEAD);
    assertThat(h.leveled("root.quitter"))
        .anySatisfy(l ->
            assertThat(l)
                .startsWith("FATAL")
                .contains("returned without signalling Done (state HEALTHY)"));
    assertThat(h.info("root.early").lastError())
        .hasValue("returned without signalling Done (state NEW)");
  }

  @Test
  void returningAfterDoneIsDoneAndItsChildrenKeepRunning() throws Exception {
    AtomicInteger workerRuns = new AtomicInteger();
    h.start(
        rootWith(
            Map.of(
                "oneshot",
                ctx -> {
                  ctx.run(
                      "worker",
                      c -> {
                        c.signalHealthy();
                        if (workerRuns.incrementAndGet() == 1) {
                          throw new IllegalStateException("worker fails once");
                        }
                        c.awaitCancel();
                      });
                  ctx.signalHealthy();
                  ctx.signalDone();
                })));

    h.rec.await("root.oneshot", DONE);
    h.rec.await("root.oneshot.worker", DEAD);
    assertThat(h.time.awaitRequest(1)).isEqualTo(Duration.ofMillis(250));
    h.time.advance(Duration.ofMillis(250));
    h.rec.await("root.oneshot.worker", HEALTHY, 2);
    h.settle();

    // The worker was restarted alone: its DONE parent was neither restarted nor disturbed.
    assertThat(h.rec.count("root.oneshot", NEW)).isEqualTo(1);
    assertThat(h.info("root.oneshot").state()).isEqualTo(DONE);
    assertThat(h.info("root.oneshot").running()).isFalse();
    assertThat(h.info("root.oneshot.worker").state()).isEqualTo(HEALTHY);
    assertThat(h.time.requested()).hasSize(1);
  }

  @Test
  void shutdownFinishesWithinItsBoundAndNamesTheRunnableThatIgnoresCancellation() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    h.start(
        rootWith(
            Map.of(
                "polite",
                serving(),
                "stubborn",
                ctx -> {
                  ctx.signalHealthy();
                  awaitUninterruptibly(release);
                })));
    h.rec.await("root.polite", HEALTHY);
    h.rec.await("root.stubborn", HEALTHY);

    Duration bound = Duration.ofMillis(300);
    long t0 = System.nanoTime();
    ShutdownResult result = h.sup.shutdown(bound);
    Duration took = Duration.ofNanos(System.nanoTime() - t0);

    assertThat(result.clean()).isFalse();
    assertThat(result.hung()).containsExactly(DN.of("root.stubborn"));
    assertThat(took).isGreaterThanOrEqualTo(bound).isLessThan(bound.plusSeconds(5));
    h.rec.await("root.polite", CANCELED);
    assertThat(h.leveled("supervisor"))
        .anySatisfy(l ->
            assertThat(l).startsWith("ERROR").contains("did not exit").contains("root.stubborn"));
    assertThat(h.leveled("root.stubborn"))
        .anySatisfy(l -> assertThat(l).startsWith("ERROR").contains("did not exit within"));

    release.countDown();
    assertThat(h.sup.shutdown(Harness.WAIT).clean()).isTrue();
    assertThat(h.info("root.stubborn").state()).isEqualTo(CANCELED);
  }

  @Test
  void shutdownCancelsEveryRunnableThroughFlagCallbackAndInterrupt() throws Exception {
    CountDownLatch callbackRan = new CountDownLatch(1);
    h.start(
        rootWith(
            Map.of(
                "waiter", serving(),
                "sleeper",
                    ctx -> {
                      ctx.signalHealthy();
                      Thread.sleep(Duration.ofHours(1));
                    },
                "callback",
                    ctx -> {
                      CountDownLatch stop = new CountDownLatch(1);
                      try (var _ = ctx.onCancel(stop::countDown)) {
                        ctx.run("leaf", serving());
                        ctx.signalHealthy();
                        awaitUninterruptibly(stop);
                      }
                      callbackRan.countDown();
                    })));
    for (String dn :
        List.of("root.waiter", "root.sleeper", "root.callback", "root.callback.leaf")) {
      h.rec.await(dn, HEALTHY);
    }

    assertThat(h.sup.shutdown(Harness.WAIT).clean()).isTrue();

    assertThat(callbackRan.getCount()).isZero();
    List<RunnableInfo> all = h.sup.snapshot();
    assertThat(all)
        .extracting(i -> i.dn().value())
        .containsExactly(
            "root", "root.callback", "root.callback.leaf", "root.sleeper", "root.waiter");
    assertThat(all).allSatisfy(i -> assertThat(i.state()).isEqualTo(CANCELED));
    assertThat(all).noneMatch(RunnableInfo::running);
    // Nothing restarts after shutdown, and the settle wait does not hang.
    h.sup.awaitSettled(Harness.WAIT);
    assertThat(h.rec.count("root", NEW)).isEqualTo(1);
  }

  @Test
  void childStartedAfterHealthyIsRejectedNamingTheDN() throws Exception {
    List<String> errors = new CopyOnWriteArrayList<>();
    h.start(
        rootWith(
            Map.of(
                "late",
                ctx -> {
                  ctx.signalHealthy();
                  try {
                    ctx.run("child", serving());
                  } catch (IllegalStateException e) {
                    errors.add(e.getMessage());
                  }
                  ctx.run("child", serving()); // uncaught: the runnable dies of it
                })));

    h.rec.await("root.late", DEAD);
    assertThat(errors)
        .singleElement()
        .satisfies(m ->
            assertThat(m)
                .startsWith("root.late: ")
                .contains("\"child\"")
                .contains("after signalling Healthy"));
    assertThat(h.leveled("root.late"))
        .anySatisfy(
            l -> assertThat(l).startsWith("FATAL").contains("IllegalStateException: root.late"));
    assertThat(h.sup.snapshot()).noneMatch(i -> i.dn().value().startsWith("root.late.child"));
  }

  @Test
  void invalidChildNamesAreRejectedNamingTheDN() throws Exception {
    List<String> errors = new CopyOnWriteArrayList<>();
    h.start(ctx -> {
      for (String bad : List.of("Bad", "a.b", "", "x".repeat(65), "spaced name")) {
        try {
          ctx.run(bad, serving());
        } catch (IllegalArgumentException e) {
          errors.add(e.getMessage());
        }
      }
      try {
        ctx.runGroup(Map.of());
      } catch (IllegalArgumentException e) {
        errors.add(e.getMessage());
      }
      ctx.run("console-/dev/tty0", serving()); // '-' and '/' are allowed
      ctx.signalHealthy();
      ctx.awaitCancel();
    });

    h.rec.await("root.console-/dev/tty0", HEALTHY);
    assertThat(errors).hasSize(6);
    assertThat(errors.subList(0, 5))
        .allSatisfy(m -> assertThat(m).startsWith("root: invalid child name \""));
    assertThat(errors.get(1)).contains("\"a.b\"");
    assertThat(errors.get(5)).isEqualTo("root: cannot start an empty group");
  }

  @Test
  void duplicateNamesAreRejectedNamingTheDN() throws Exception {
    List<String> errors = new CopyOnWriteArrayList<>();
    h.start(ctx -> {
      ctx.run("a", serving());
      var _ = ctx.subLogger("logs");
      Map<String, SupervisedRunnable> group = new LinkedHashMap<>();
      group.put("b", serving());
      group.put("a", serving());
      for (Runnable attempt :
          List.<Runnable>of(
              () -> ctx.run("a", serving()),
              () -> ctx.run("logs", serving()),
              () -> ctx.subLogger("a"),
              () -> ctx.runGroup(group))) {
        try {
          attempt.run();
        } catch (IllegalArgumentException e) {
          errors.add(e.getMessage());
        }
      }
      ctx.signalHealthy();
      ctx.awaitCancel();
    });

    h.rec.await("root", HEALTHY);
    h.settle();
    assertThat(errors)
        .containsExactly(
            "root.a: name \"a\" is already taken by a runnable",
            "root.logs: name \"logs\" is already taken by a sub-logger",
            "root.a: name \"a\" is already taken by a runnable",
            "root.a: name \"a\" is already taken by a runnable");
    // The rejected group started nothing, not even its valid member.
    assertThat(h.sup.snapshot()).extracting(i -> i.dn().value()).containsExactly("root", "root.a");
  }

  @Test
  void signalsOutOfOrderAreRejected() throws Exception {
    List<String> errors = new CopyOnWriteArrayList<>();
    h.start(ctx -> {
      try {
        ctx.signalDone();
      } catch (IllegalStateException e) {
        errors.add(e.getMessage());
      }
      ctx.signalHealthy();
      try {
        ctx.signalHealthy();
      } catch (IllegalStateException e) {
        errors.add(e.getMessage());
      }
      ctx.awaitCancel();
    });
    h.rec.await("root", HEALTHY);
    h.settle();
    assertThat(errors)
        .containsExactly(
            "root: cannot signal Done in state NEW (signal Healthy first)",
            "root: cannot signal Healthy in state HEALTHY");
  }

  @Test
  void groupMemberDeathCancelsItsSiblingsWhichRestartAtOnce() throws Exception {
    CountDownLatch killA = new CountDownLatch(1);
    AtomicInteger aRuns = new AtomicInteger();
    h.start(ctx -> {
      Map<String, SupervisedRunnable> group = new LinkedHashMap<>();
      group.put(
          "a",
          c -> {
            c.signalHealthy();
            if (aRuns.incrementAndGet() == 1) {
              awaitUninterruptibly(killA);
              throw new IllegalStateException("a fails");
            }
            c.awaitCancel();
          });
      group.put(
          "b",
          c -> {
            c.run("inner", serving());
            c.signalHealthy();
            c.awaitCancel();
          });
      ctx.runGroup(group);
      ctx.run("c", serving()); // a group of its own
      ctx.signalHealthy();
      ctx.awaitCancel();
    });
    for (String dn : List.of("root.a", "root.b", "root.b.inner", "root.c")) {
      h.rec.await(dn, HEALTHY);
    }

    killA.countDown();
    h.rec.await("root.a", DEAD);
    h.rec.await("root.b", CANCELED);
    // b was cancelled, not dead: it comes back without any time passing.
    h.rec.await("root.b", HEALTHY, 2);
    h.rec.await("root.b.inner", HEALTHY, 2);
    h.settle();
    assertThat(h.time.requested()).containsExactly(Duration.ofMillis(250)); // a's backoff only
    assertThat(h.info("root.a").state()).isEqualTo(DEAD);
    assertThat(h.rec.count("root.c", NEW)).isEqualTo(1);
    assertThat(h.rec.history("root.c")).containsExactly(NEW, HEALTHY);
    assertThat(h.rec.count("root", NEW)).isEqualTo(1);

    h.time.advance(Duration.ofMillis(250));
    h.rec.await("root.a", HEALTHY, 2);
    h.settle();
    assertThat(h.rec.count("root.b", NEW)).isEqualTo(2);
  }

  /**
   * root.p has children q (with child qq) and r. When p dies, q and qq stop at once but r holds
   * out. q's subtree has fully stopped, yet q must not be restarted on its own because its parent p
   * is cancelled; p must not be restarted while r still runs. Once r exits, p's whole subtree is
   * restarted as one (p after its backoff; q, qq and r re-created by p), exactly once each.
   */
  @Test
  void largestStoppedSubtreeWithLiveParentIsRestartedAsOne() throws Exception {
    CountDownLatch failP = new CountDownLatch(1);
    CountDownLatch rCancelled = new CountDownLatch(1);
    CountDownLatch releaseR = new CountDownLatch(1);
    AtomicInteger pRuns = new AtomicInteger();
    AtomicInteger rRuns = new AtomicInteger();
    SupervisedRunnable r =
        ctx -> {
          ctx.signalHealthy();
          try {
            ctx.awaitCancel();
          } finally {
            if (rRuns.incrementAndGet() == 1) {
              rCancelled.countDown();
              awaitUninterruptibly(releaseR);
            }
          }
        };
    SupervisedRunnable q =
        ctx -> {
          ctx.run("qq", serving());
          ctx.signalHealthy();
          ctx.awaitCancel();
        };
    SupervisedRunnable p =
        ctx -> {
          ctx.run("q", q);
          ctx.run("r", r);
          ctx.signalHealthy();
          if (pRuns.incrementAndGet() == 1) {
            awaitUninterruptibly(failP);
            throw new IllegalStateException("p fails");
          }
          ctx.awaitCancel();
        };
    h.start(rootWith(Map.of("p", p)));
    for (String dn : List.of("root.p", "root.p.q", "root.p.q.qq", "root.p.r")) {
      h.rec.await(dn, HEALTHY);
    }

    failP.countDown();
    h.rec.await("root.p", DEAD);
    h.rec.await("root.p.q", CANCELED);
    h.rec.await("root.p.q.qq", CANCELED);
    rCancelled.await();
    h.settle();

    assertThat(h.rec.count("root.p.q", NEW)).as("q restarted under a cancelled parent").isOne();
    assertThat(h.rec.count("root.p.q.qq", NEW)).isOne();
    assertThat(h.time.requested()).as("p restarted before r exited").isEmpty();
    assertThat(h.info("root.p.r").running()).isTrue();
    assertThat(h.info("root.p").state()).isEqualTo(DEAD);

    releaseR.countDown();
    h.rec.await("root.p.r", CANCELED);
    assertThat(h.time.awaitRequest(1)).isEqualTo(Duration.ofMillis(250));
    h.settle();
    assertThat(h.rec.count("root.p.q", NEW)).isOne();
    assertThat(h.rec.count("root.p", NEW)).isOne();

    h.time.advance(Duration.ofMillis(250));
    for (String dn : List.of("root.p", "root.p.q", "root.p.q.qq", "root.p.r")) {
      h.rec.await(dn, HEALTHY, 2);
    }
    h.settle();
    for (String dn : List.of("root.p", "root.p.q", "root.p.q.qq", "root.p.r")) {
      assertThat(h.rec.count(dn, NEW)).as(dn + " starts").isEqualTo(2);
    }
    assertThat(h.time.requested()).hasSize(1);
    assertThat(h.rec.count("root", NEW)).isOne();
    assertThat(h.info("root.p").restarts()).isOne();
    assertThat(h.info("root.p.q").restarts()).as("q is a new node under the new p").isZero();
  }

  /**
   * Backoff delays are the interval (0.5 s, then ×1.5 each death) scaled by 0.5 + jitter, and the
   * interval resets when the runnable signals Healthy. The runnable starts again only when its
   * delay has fully elapsed.
   */
  @Test
  void backoffGrowsByHalfWithJitterAndResetsOnHealthy() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    h.start(
        rootWith(
            Map.of(
                "flaky",
                ctx -> {
                  if (runs.incrementAndGet() == 4) {
                    ctx.signalHealthy();
                  }
                  throw new IllegalStateException("flaky");
                })),
        Harness.jitter(0.0, 0.5, 0.999_999, 0.5));

    assertThat(h.time.awaitRequest(1)).isEqualTo(Duration.ofMillis(250)); // 500 ms × 0.5
    h.time.advance(Duration.ofMillis(249));
    h.settle();
    assertThat(h.rec.count("root.flaky", NEW)).as("restarted before its delay").isOne();
    h.time.advance(Duration.ofMillis(1));
    h.rec.await("root.flaky", NEW, 2);

    assertThat(h.time.awaitRequest(2)).isEqualTo(Duration.ofMillis(750)); // 750 ms × 1.0
    h.time.advance(Duration.ofMillis(750));
    h.rec.await("root.flaky", NEW, 3);

    Duration third = h.time.awaitRequest(3); // 1125 ms × ~1.5
    assertThat(third).isBetween(Duration.ofMillis(1687), Duration.ofMillis(1688));
    h.time.advance(third);
    h.rec.await("root.flaky", NEW, 4);

    // Run 4 signalled Healthy before dying: back to the initial interval.
    assertThat(h.time.awaitRequest(4)).isEqualTo(Duration.ofMillis(500)); // 500 ms × 1.0
    assertThat(runs).hasValue(4);
  }

  @Test
  void snapshotShowsEveryRunnableWithStateAndRestarts() throws Exception {
    h.start(ctx -> {
      ctx.runGroup(Map.of("x", serving(), "y", serving()));
      ctx.run("z", c -> c.awaitCancel()); // never healthy
      ctx.signalHealthy();
      ctx.awaitCancel();
    });
    h.rec.await("root.x", HEALTHY);
    h.rec.await("root.y", HEALTHY);
    h.rec.await("root.z", NEW);
    h.rec.await("root", HEALTHY);

    List<String> rows = new ArrayList<>();
    for (RunnableInfo i : h.sup.snapshot()) {
      rows.add(i.dn() + " " + i.state() + " " + i.restarts() + " " + i.running());
    }
    assertThat(rows)
        .containsExactly(
            "root HEALTHY 0 true",
            "root.x HEALTHY 0 true",
            "root.y HEALTHY 0 true",
            "root.z NEW 0 true");
  }
}
