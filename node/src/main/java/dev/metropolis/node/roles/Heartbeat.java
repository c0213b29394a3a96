package dev.metropolis.node.roles;

import dev.metropolis.api.curator.CuratorGrpc;
import dev.metropolis.api.curator.HeartbeatUpdateRequest;
import dev.metropolis.api.curator.HeartbeatUpdateResponse;
import dev.metropolis.node.curator.NodeHealth;
import dev.metropolis.osbase.supervisor.Context;
import dev.metropolis.osbase.supervisor.SupervisedRunnable;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Heartbeats to the leader every 5 s on one long-lived stream (the leader times a node out after 10
 * s). Any error or a reply that does not come within the timeout fails the runnable, which
 * reconnects, possibly to a new leader.
 */
final class Heartbeat implements SupervisedRunnable {
  private final ClusterLink link;

  Heartbeat(ClusterLink link) {
    this.link = link;
  }

  @Override
  public void run(Context ctx) throws Exception {
    var creds = link.credentials();
    var ch = link.leader(creds);
    LinkedBlockingQueue<Object> replies = new LinkedBlockingQueue<>();
    try {
      StreamObserver<HeartbeatUpdateRequest> requests =
          CuratorGrpc.newStub(ch)
              .heartbeat(
                  new StreamObserver<HeartbeatUpdateResponse>() {
                    @Override
                    public void onNext(HeartbeatUpdateResponse value) {
                      replies.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                      replies.add(t);
                    }

                    @Override
                    public void onCompleted() {
                      replies.add(new IllegalStateException("leader ended the heartbeat stream"));
                    }
                  });
      boolean healthy = false;
      while (true) {
        long sent = System.nanoTime();
        requests.onNext(HeartbeatUpdateRequest.getDefaultInstance());
        Object reply = replies.poll(NodeHealth.HEARTBEAT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (reply == null) {
          throw new IllegalStateException(
              "no heartbeat reply within " + NodeHealth.HEARTBEAT_TIMEOUT);
        }
        if (reply instanceof Throwable t) {
          throw new IllegalStateException("heartbeat stream failed: " + t.getMessage(), t);
        }
        if (!healthy) {
          ctx.logger().info("Heartbeating to the curator leader.");
          ctx.signalHealthy();
          healthy = true;
        }
        long next = sent + NodeHealth.HEARTBEAT_INTERVAL.toNanos();
        long wait = next - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
      }
    } finally {
      ch.close();
    }
  }
}
