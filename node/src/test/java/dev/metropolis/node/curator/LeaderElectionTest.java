package dev.metropolis.node.curator;

import static dev.metropolis.node.curator.LeaderElection.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metropolis.osbase.testing.TestEtcd;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LeaderElectionTest {
  private static TestEtcd etcd;

  @BeforeAll
  static void start() throws Exception {
    etcd = TestEtcd.start();
  }

  @AfterAll
  static void stop() {
    etcd.close();
  }

  private static byte[] id(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void deposedLeaderCannotWriteAndSuccessorTakesOver() throws Exception {
    try (Client a = etcd.client();
        Client b = etcd.client();
        Client admin = etcd.client()) {
      Leadership la =
          new LeaderElection(a, Duration.ofSeconds(30))
              .campaign(id("a"), v -> Arrays.equals(v, id("a")));
      la.txn(List.of(Op.put(bytes("/curator/x"), bytes("from-a"), PutOption.DEFAULT)));

      CompletableFuture<Leadership> lb =
          CompletableFuture.supplyAsync(() -> {
            try {
              return new LeaderElection(b, Duration.ofSeconds(30))
                  .campaign(id("b"), v -> Arrays.equals(v, id("b")));
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
      // b waits while a holds the election.
      assertThat(lb).isNotDone();

      // a's lease is revoked behind its back (as if it had been partitioned for a TTL).
      admin
          .getLeaseClient()
          .revoke(la.key() == null ? 0 : leaseOf(admin, la))
          .get(10, TimeUnit.SECONDS);

      Leadership leaderB = lb.get(30, TimeUnit.SECONDS);
      assertThatThrownBy(() ->
              la.txn(List.of(Op.put(bytes("/curator/x"), bytes("stale-a"), PutOption.DEFAULT))))
          .isInstanceOf(LostLeadershipException.class)
          .hasMessage("lost leadership");
      assertThat(la.lost()).isDone();

      leaderB.txn(List.of(Op.put(bytes("/curator/x"), bytes("from-b"), PutOption.DEFAULT)));
      String x =
          admin
              .getKVClient()
              .get(bytes("/curator/x"))
              .get()
              .getKvs()
              .getFirst()
              .getValue()
              .toString(StandardCharsets.UTF_8);
      assertThat(x).isEqualTo("from-b");
      leaderB.close();
    }
  }

  @Test
  @SuppressWarnings("try") // closing the client inside its try block simulates a crash
  void restartedNodeRemovesItsStaleCandidateKey() throws Exception {
    try (Client first = etcd.client();
        Client second = etcd.client();
        Client admin = etcd.client()) {
      Leadership old =
          new LeaderElection(first, Duration.ofSeconds(60))
              .campaign(id("n1"), v -> Arrays.equals(v, id("n1")));
      long oldLease = leaseOf(admin, old);
      // The node "crashes": its client goes away without resigning; the lease lives on.
      first.close();

      Leadership renewed =
          new LeaderElection(second, Duration.ofSeconds(60))
              .campaign(id("n1"), v -> Arrays.equals(v, id("n1")));
      // Elected although the old lease has not expired: the stale key was removed, not waited out.
      long ttl = admin.getLeaseClient().timeToLive(oldLease, LeaseOption.DEFAULT).get().getTTL();
      assertThat(ttl).isPositive();
      assertThat(renewed.revision()).isGreaterThan(old.revision());
      renewed.close();
      admin.getLeaseClient().revoke(oldLease).get();
    }
  }

  @Test
  void foreignCandidateKeysAreLeftAlone() throws Exception {
    try (Client other = etcd.client();
        Client me = etcd.client()) {
      Leadership theirs =
          new LeaderElection(other, Duration.ofSeconds(60))
              .campaign(id("other"), v -> Arrays.equals(v, id("other")));
      CompletableFuture<Leadership> mine =
          CompletableFuture.supplyAsync(() -> {
            try {
              return new LeaderElection(me, Duration.ofSeconds(60))
                  .campaign(id("me"), v -> Arrays.equals(v, id("me")));
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
      assertThat(new LeaderElection(me, Duration.ofSeconds(60)).currentLeader())
          .hasValueSatisfying(
              v -> assertThat(new String(v, StandardCharsets.UTF_8)).isEqualTo("other"));
      assertThat(mine).isNotDone();
      theirs.close();
      mine.get(30, TimeUnit.SECONDS).close();
    }
  }

  private static long leaseOf(Client admin, Leadership l) throws Exception {
    return admin.getKVClient().get(l.key()).get().getKvs().getFirst().getLease();
  }
}
