package dev.metropolis.node.mgmt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metropolis.api.logtree.LeveledLogSeverity;
import dev.metropolis.api.logtree.LogFilter;
import dev.metropolis.api.nodemanagement.GetLogsRequest;
import dev.metropolis.api.nodemanagement.GetLogsResponse;
import dev.metropolis.api.nodemanagement.GetRunnablesRequest;
import dev.metropolis.api.nodemanagement.NodeManagementGrpc;
import dev.metropolis.osbase.logtree.DN;
import dev.metropolis.osbase.logtree.LogTree;
import dev.metropolis.osbase.logtree.Logger;
import dev.metropolis.osbase.supervisor.RunnableInfo;
import dev.metropolis.osbase.supervisor.RunnableState;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * NodeManagement over in-process gRPC, whose flow control counts messages: a client that requests
 * nothing is never ready, exactly.
 */
@Timeout(60)
class NodeManagementServiceTest {
  private static final int BUFFER = 64;

  private final LogTree tree = new LogTree();
  private final Logger busy = tree.logger(DN.of("root.busy"));
  private final List<RunnableInfo> runnables =
      List.of(
          new RunnableInfo(DN.of("root.b"), RunnableState.DEAD, 3, false, Optional.of("boom")),
          new RunnableInfo(DN.of("root.a"), RunnableState.HEALTHY, 0, true, Optional.empty()));
  private final NodeManagementService service =
      new NodeManagementService(tree, () -> runnables, BUFFER);
  private final String name = InProcessServerBuilder.generateName();
  private final Server server;
  private final ManagedChannel channel;

  NodeManagementServiceTest() throws Exception {
    server =
        InProcessServerBuilder.forName(name).directExecutor().addService(service).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void close() throws Exception {
    channel.shutdownNow();
    server.shutdownNow().awaitTermination();
  }

  private static GetLogsRequest.Builder request(String dn) {
    return GetLogsRequest.newBuilder()
        .setDn(dn)
        .setBacklogMode(GetLogsRequest.BacklogMode.BACKLOG_MODE_ALL)
        .setStreamMode(GetLogsRequest.StreamMode.STREAM_MODE_DISABLE);
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    while (!condition.getAsBoolean()) {
      Thread.sleep(5);
    }
  }

  @Test
  void stalledReaderHoldsAtMostItsBufferAndCountsTheRestAsMissed() throws Exception {
    ClientCall<GetLogsRequest, GetLogsResponse> call =
        channel.newCall(NodeManagementGrpc.getLogsMethod(), CallOptions.DEFAULT);
    List<Status> closed = new ArrayList<>();
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onClose(Status status, Metadata trailers) {
            closed.add(status);
          }
        },
        new Metadata());
    call.sendMessage(
        request("root.busy")
            .setBacklogMode(GetLogsRequest.BacklogMode.BACKLOG_MODE_DISABLE)
            .setStreamMode(GetLogsRequest.StreamMode.STREAM_MODE_UNBUFFERED)
            .build());
    call.halfClose();
    // Never call.request(): the reader is stalled from the start.
    await(() -> service.openStreams().size() == 1 && tree.streamingReaders() == 1);
    await(() -> service.openStreams().getFirst().pauses() > 0);

    int written = 20_000;
    for (int i = 0; i < written; i++) {
      busy.info("entry %d", i);
    }

    var stats = service.openStreams().getFirst();
    assertThat(stats.sent()).isZero();
    assertThat(stats.buffered()).isEqualTo(BUFFER);
    assertThat(stats.missed()).isEqualTo(written - BUFFER);

    call.cancel("test done", null);
    await(() -> service.openStreams().isEmpty() && tree.streamingReaders() == 0);
    assertThat(closed).extracting(Status::getCode).containsExactly(Status.Code.CANCELLED);
  }

  @Test
  void backlogComesBeforeStreamAndAReaderThatCatchesUpGetsNewEntries() throws Exception {
    for (int i = 0; i < 300; i++) {
      busy.info("old %d", i);
    }
    try (Context.CancellableContext ctx = Context.current().withCancellation()) {
      Iterator<GetLogsResponse> it =
          ctx.call(() ->
              NodeManagementGrpc.newBlockingStub(channel)
                  .logs(
                      request("root.busy")
                          .setStreamMode(GetLogsRequest.StreamMode.STREAM_MODE_UNBUFFERED)
                          .build()));
      List<String> backlog = new ArrayList<>();
      while (backlog.size() < 300) {
        GetLogsResponse r = it.next();
        assertThat(r.getStreamEntriesCount()).isZero();
        r.getBacklogEntriesList().forEach(e -> backlog.add(e.getLeveled().getLines(0)));
      }
      assertThat(backlog).hasSize(300).startsWith("old 0").endsWith("old 299");
      busy.warning("new %d", 1);
      busy.warning("new %d", 2);
      List<String> live = new ArrayList<>();
      while (live.size() < 2) {
        GetLogsResponse r = it.next();
        assertThat(r.getBacklogEntriesCount()).isZero();
        r.getStreamEntriesList().forEach(e -> live.add(e.getLeveled().getLines(0)));
      }
      assertThat(live).containsExactly("new 1", "new 2");
      ctx.cancel(null);
    }
    await(() -> tree.streamingReaders() == 0);
  }

  @Test
  void filtersSelectSubtreeAndSeverity() {
    Logger child = tree.logger(DN.of("root.busy.child"));
    busy.info("parent info");
    child.info("child info");
    child.error("child error");
    var stub = NodeManagementGrpc.newBlockingStub(channel);

    List<String> exact = new ArrayList<>();
    stub.logs(request("root.busy").build())
        .forEachRemaining(r -> r.getBacklogEntriesList().forEach(e -> exact.add(e.getDn())));
    assertThat(exact).containsExactly("root.busy");

    List<String> subtree = new ArrayList<>();
    stub.logs(
            request("root.busy")
                .addFilters(
                    LogFilter.newBuilder()
                        .setWithChildren(LogFilter.WithChildren.getDefaultInstance()))
                .addFilters(
                    LogFilter.newBuilder()
                        .setLeveledWithMinimumSeverity(
                            LogFilter.LeveledWithMinimumSeverity.newBuilder()
                                .setMinimum(LeveledLogSeverity.LEVELED_LOG_SEVERITY_ERROR)))
                .build())
        .forEachRemaining(
            r -> r.getBacklogEntriesList().forEach(e -> subtree.add(e.getLeveled().getLines(0))));
    assertThat(subtree).containsExactly("child error");

    List<Integer> last = new ArrayList<>();
    stub.logs(
            request("root.busy")
                .addFilters(
                    LogFilter.newBuilder()
                        .setWithChildren(LogFilter.WithChildren.getDefaultInstance()))
                .setBacklogMode(GetLogsRequest.BacklogMode.BACKLOG_MODE_COUNT)
                .setBacklogCount(2)
                .build())
        .forEachRemaining(r -> last.add(r.getBacklogEntriesCount()));
    assertThat(last).containsExactly(2);
  }

  @Test
  void badRequestsAreRefusedWithThePreciseCode() {
    var stub = NodeManagementGrpc.newBlockingStub(channel);
    assertThatThrownBy(() -> stub.logs(request("root.nope").build()).hasNext())
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
              assertThat(e.getStatus().getDescription()).contains("\"root.nope\"");
            });
    assertThatThrownBy(() ->
            stub.logs(
                    request("root.busy")
                        .addFilters(
                            LogFilter.newBuilder()
                                .setLeveledWithMinimumSeverity(
                                    LogFilter.LeveledWithMinimumSeverity.getDefaultInstance()))
                        .build())
                .hasNext())
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("minimum severity");
            });
    for (var bad :
        List.of(
            request("root.busy").clearBacklogMode(),
            request("root.busy").clearStreamMode(),
            request("Root.Busy"),
            request("root.busy")
                .setBacklogMode(GetLogsRequest.BacklogMode.BACKLOG_MODE_COUNT)
                .setBacklogCount(0))) {
      assertThatThrownBy(() -> stub.logs(bad.build()).hasNext())
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }
    assertThatThrownBy(
            () -> stub.reboot(dev.metropolis.api.nodemanagement.RebootRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
    assertThat(tree.streamingReaders()).isZero();
  }

  @Test
  void runnablesAreListedSortedWithStateAndRestarts() {
    var r =
        NodeManagementGrpc.newBlockingStub(channel)
            .getRunnables(GetRunnablesRequest.getDefaultInstance())
            .getRunnablesList();
    assertThat(r).extracting(x -> x.getDn()).containsExactly("root.a", "root.b");
    assertThat(r.get(1).getState()).isEqualTo("DEAD");
    assertThat(r.get(1).getRestarts()).isEqualTo(3);
  }
}
