package dev.metropolis.kubernetes.controllers;

import dev.metropolis.kubernetes.objects.Kube;
import dev.metropolis.kubernetes.scheduler.Scheduler;
import dev.metropolis.osbase.logtree.Logger;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The controllers and the scheduler behind one leader election: every instance campaigns on Lease
 * {@code kube-system/metropolis-controller-manager}; only the holder runs the control loops, and it
 * stops them as soon as it knows it lost the lease (or could not renew it for renewDeadline).
 */
public final class ControllerManager implements AutoCloseable {
  private final ControllerConfig config;
  private final Logger log;
  private final LeaderElection election;
  private final Object lock = new Object();
  private Thread elector;
  private Leading leading; // guarded by lock; null while following
  private boolean closed; // guarded by lock

  private ControllerManager(ControllerConfig config) {
    this.config = config;
    this.log = config.log();
    this.election =
        new LeaderElection(
            config.client(),
            config.timing().leaseName(),
            config.identity(),
            config.clock(),
            config.timing().leaseDuration());
  }

  /** Starts campaigning; the returned manager runs the controllers while it leads. */
  public static ControllerManager start(ControllerConfig config) {
    ControllerManager m = new ControllerManager(config);
    m.elector =
        Thread.ofPlatform()
            .name("controller-manager-election-" + config.identity())
            .daemon()
            .start(m::campaign);
    return m;
  }

  /** Whether this instance leads now (runs the controllers). */
  public boolean leading() {
    synchronized (lock) {
      return leading != null;
    }
  }

  private void campaign() {
    Instant lastRenew = null;
    while (true) {
      LeaderElection.Attempt a = election.tryAcquireOrRenew();
      Instant now = config.clock().instant();
      synchronized (lock) {
        if (closed) {
          return;
        }
        if (a == LeaderElection.Attempt.HELD) {
          lastRenew = now;
          if (leading == null) {
            log.info("%s leads: starting controllers and scheduler", config.identity());
            leading = new Leading();
          }
        } else if (leading != null
            && (a == LeaderElection.Attempt.OTHER
                || lastRenew == null
                || Duration.between(lastRenew, now).compareTo(config.timing().renewDeadline())
                    >= 0)) {
          log.warning("%s lost the lease (%s): stopping controllers", config.identity(), a);
          leading.close();
          leading = null;
        }
      }
      try {
        Thread.sleep(config.timing().retryPeriod());
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Stops the controllers and gives up the lease so that another instance takes over at once. */
  @Override
  public void close() {
    boolean wasLeading;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      wasLeading = leading != null;
      if (leading != null) {
        leading.close();
        leading = null;
      }
    }
    elector.interrupt();
    try {
      elector.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (wasLeading) {
      election.release();
    }
  }

  /** A controller and its name in the log. */
  private record Step(String name, Controller controller) {}

  /**
   * The controllers while leading: informers on the kinds they read only wake the loop; each pass
   * reads the state afresh with lists (so a pass sees what the previous one wrote) and runs every
   * controller and then the scheduler. A pass also runs every resync period, which is what moves
   * time-driven state (node leases, eviction, progress deadlines).
   */
  private final class Leading implements AutoCloseable {
    private final Semaphore wake = new Semaphore(0);
    private final ResourceEventHandler<Object> poke;
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private final List<Step> steps;
    private final Step collector;
    private final Thread loop;
    private volatile boolean stopping;

    Leading() {
      KubernetesClient c = config.client();
      Kube kube = new Kube(c, config.clock(), config.identity());
      ControllerConfig.Timing timing = config.timing();
      Scheduler scheduler = new Scheduler(kube);
      steps =
          List.of(
              new Step("namespaces", new Namespaces(kube)),
              new Step("deployments", new Deployments(kube)),
              new Step("replicasets", new ReplicaSets(kube)),
              new Step("daemonsets", new DaemonSets(kube)),
              new Step("statefulsets", new StatefulSets(kube)),
              new Step("cronjobs", new CronJobs(kube)),
              new Step("jobs", new Jobs(kube)),
              new Step(
                  "nodelifecycle",
                  new NodeLifecycle(kube, timing.nodeGracePeriod(), timing.podEvictionTimeout())),
              new Step("scheduler", scheduler::sync),
              new Step("endpoints", new EndpointsController(kube)));
      collector = new Step("garbagecollector", new GarbageCollector(kube));
      loop = Thread.ofPlatform().name("controllers-" + config.identity()).daemon().start(this::run);
      poke =
          new ResourceEventHandler<>() {
            @Override
            public void onAdd(Object o) {
              wake.release();
            }

            @Override
            public void onUpdate(Object a, Object b) {
              wake.release();
            }

            @Override
            public void onDelete(Object o, boolean unknownFinalState) {
              wake.release();
            }
          };
      // started without waiting for their first list: the first pass does not need them
      informers.add(c.pods().inAnyNamespace().runnableInformer(0));
      informers.add(c.nodes().runnableInformer(0));
      informers.add(c.namespaces().runnableInformer(0));
      informers.add(c.services().inAnyNamespace().runnableInformer(0));
      informers.add(c.apps().deployments().inAnyNamespace().runnableInformer(0));
      informers.add(c.apps().replicaSets().inAnyNamespace().runnableInformer(0));
      informers.add(c.apps().daemonSets().inAnyNamespace().runnableInformer(0));
      informers.add(c.apps().statefulSets().inAnyNamespace().runnableInformer(0));
      informers.add(c.batch().v1().jobs().inAnyNamespace().runnableInformer(0));
      informers.add(c.batch().v1().cronjobs().inAnyNamespace().runnableInformer(0));
      for (SharedIndexInformer<?> i : informers) {
        poke(i);
        i.start()
            .exceptionally(e -> {
              // the resync still drives the loop; the informers are only there to be quick
              log.warning("an informer did not start: %s", e.getMessage());
              return null;
            });
      }
    }

    @SuppressWarnings("unchecked")
    private <T> void poke(SharedIndexInformer<T> i) {
      i.addEventHandler((ResourceEventHandler<T>) (ResourceEventHandler<?>) poke);
    }

    private void run() {
      Instant nextCollection = Instant.MIN;
      Duration resync = config.timing().resync();
      boolean retrySoon = false;
      while (!stopping) {
        try {
          Duration wait = retrySoon ? Duration.ofMillis(500) : resync;
          wake.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS);
          Thread.sleep(20); // let a burst of events become one pass
          wake.drainPermits();
        } catch (InterruptedException e) {
          return;
        }
        retrySoon = false;
        for (Step c : steps) {
          if (stopping) {
            return;
          }
          retrySoon |= !runOne(c);
        }
        Instant now = Instant.now();
        if (!now.isBefore(nextCollection)) {
          retrySoon |= !runOne(collector);
          nextCollection = now.plus(resync);
        }
      }
    }

    /** Runs one controller; false when it should run again soon (a conflict or an error). */
    private boolean runOne(Step c) {
      try {
        c.controller().sync();
        return true;
      } catch (KubernetesClientException e) {
        if (!Kube.isConflict(e) && !stopping) {
          log.warning("%s: %s", c.name(), e.getMessage());
        }
        return false;
      } catch (RuntimeException e) {
        if (!stopping) {
          log.error("%s failed: %s", c.name(), e);
        }
        return false;
      }
    }

    @Override
    public void close() {
      stopping = true;
      informers.forEach(SharedIndexInformer::stop);
      loop.interrupt();
      try {
        loop.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
