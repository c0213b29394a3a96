package dev.metropolis.metroctl;

import dev.metropolis.api.management.UpdateNodeLabelsRequest;
import dev.metropolis.metroctl.client.ClusterClient;
import dev.metropolis.metroctl.client.MetroctlException;
import dev.metropolis.metroctl.client.RpcErrors;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code node label} and {@code node unlabel}: one UpdateNodeLabels call each. */
public final class NodeLabelCommands {
  private NodeLabelCommands() {}

  /**
   * Checks the node ID and lets {@code change} fill in the request from the arguments (either
   * failing is a usage error, before connecting), then sends it.
   */
  static void change(
      CommandSpec spec, String id, Consumer<UpdateNodeLabelsRequest.Builder> change) {
    NodeCommand.checkId(spec, id);
    var req = UpdateNodeLabelsRequest.newBuilder().setId(id);
    try {
      change.accept(req);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    update(spec, id, req.build());
  }

  /** Sends {@code req} for the node and prints the outcome. */
  private static void update(CommandSpec spec, String id, UpdateNodeLabelsRequest req) {
    Metroctl root = Metroctl.of(spec);
    try (ClusterClient client = root.client(spec)) {
      client.asOwner(ch -> ClusterClient.management(ch).updateNodeLabels(req));
    } catch (StatusRuntimeException e) {
      throw new MetroctlException(
          "updating the labels of node " + id + " failed: " + RpcErrors.describe(e), e);
    }
    root.io().out().println("Updated node " + id + ".");
  }

  @Command(
      name = "label",
      mixinStandardHelpOptions = true,
      description = {
        "Add labels to a node, or change their values.",
        "Keys may have a DNS-style prefix (example.com/key); names and values are 1-63"
            + " characters of [a-zA-Z0-9-._], starting and ending alphanumeric; at most 128"
            + " labels per node."
      })
  public static final class Label implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NODE-ID", description = "The node.")
    String id;

    @Parameters(
        index = "1..*",
        arity = "1..*",
        paramLabel = "KEY=VALUE",
        description = "Labels to set.")
    List<String> labels = new ArrayList<>();

    @Override
    public void run() {
      change(spec, id, req -> req.addAllUpsert(LabelArgs.upserts(labels)));
    }
  }

  @Command(
      name = "unlabel",
      mixinStandardHelpOptions = true,
      description = "Remove labels from a node. Keys it does not have are ignored.")
  public static final class Unlabel implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NODE-ID", description = "The node.")
    String id;

    @Parameters(
        index = "1..*",
        arity = "1..*",
        paramLabel = "KEY",
        description = "Keys of the labels to remove.")
    List<String> keys = new ArrayList<>();

    @Override
    public void run() {
      change(spec, id, req -> req.addAllDelete(LabelArgs.deletes(keys)));
    }
  }
}
