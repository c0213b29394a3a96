package dev.metropolis.metroctl;

import dev.metropolis.api.management.Node;
import dev.metropolis.metroctl.client.ConfigDir;
import dev.metropolis.metroctl.client.MetroctlException;
import dev.metropolis.metroctl.client.RpcErrors;
import dev.metropolis.metroctl.output.NodeView;
import dev.metropolis.osbase.pki.NodeId;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code metroctl node ...}: inspecting and managing nodes. */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    description = "Inspect and manage nodes.",
    subcommands = {
      NodeCommand.Describe.class,
      NodeCommand.ListNodes.class,
      ApproveCommand.class,
      NodeRoleCommands.Add.class,
      NodeRoleCommands.Remove.class,
      NodeDeleteCommand.class,
      NodeLabelCommands.Label.class,
      NodeLabelCommands.Unlabel.class,
      NodeLocalCommands.Logs.class,
      NodeLocalCommands.Metrics.class,
      NodeLocalCommands.StatusCommand.class
    })
public final class NodeCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing command");
  }

  /**
   * {@code id} if it is a well-formed node ID. Checked before connecting: a typo is a usage error
   * (exit 2), not a node the cluster happens not to know.
   */
  static String checkId(CommandSpec spec, String id) {
    if (!NodeId.isValid(id)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "Invalid node ID \"" + id + "\": expected metropolis- and 32 hex digits");
    }
    return id;
  }

  /** A CEL filter matching exactly the node {@code id} (checked, so it needs no escaping). */
  static String idFilter(String id) {
    return "node.id == \"" + id + "\"";
  }

  /** What {@code describe} and {@code list} share: which nodes, and where the output goes. */
  abstract static class Query implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(
        paramLabel = "NODE-ID",
        arity = "0..*",
        description = "Only these nodes (default: all, also written `all`).")
    List<String> ids = new ArrayList<>();

    @Option(
        names = "--filter",
        paramLabel = "CEL",
        description =
            "CEL expression over `node` evaluated by the cluster, e.g."
                + " 'node.state == NODE_STATE_UP'.")
    String filter = "";

    @Option(
        names = {"-o", "--output"},
        paramLabel = "FILE",
        description = "Write the output to FILE instead of standard output.")
    Path output;

    abstract String plaintext(List<Node> nodes);

    abstract String json(Node node);

    @Override
    public void run() {
      Metroctl root = Metroctl.of(spec);
      Set<String> wanted = wantedIds();
      List<Node> nodes;
      try (var client = root.client(spec)) {
        nodes = new ArrayList<>(client.getNodes(filter));
      } catch (StatusRuntimeException e) {
        throw new MetroctlException("listing nodes failed: " + RpcErrors.describe(e), e);
      }
      if (!wanted.isEmpty()) {
        nodes.removeIf(n -> !wanted.contains(n.getId()));
      }
      nodes.sort(Comparator.comparing(Node::getId));
      String text;
      if (root.format() == Metroctl.Format.json) {
        StringBuilder sb = new StringBuilder();
        for (Node n : nodes) {
          sb.append(json(n)).append('\n');
        }
        text = sb.toString();
      } else {
        text = plaintext(nodes);
      }
      if (output == null) {
        root.io().out().print(text);
        return;
      }
      try {
        Files.writeString(output, text, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new MetroctlException("cannot write " + output + ": " + ConfigDir.reason(e), e);
      }
    }

    private Set<String> wantedIds() {
      if (ids.equals(List.of("all"))) {
        return Set.of();
      }
      Set<String> wanted = new HashSet<>();
      for (String id : ids) {
        wanted.add(checkId(spec, id));
      }
      return wanted;
    }
  }

  /** {@code node describe}: the full table. */
  @Command(
      name = "describe",
      mixinStandardHelpOptions = true,
      description =
          "Show nodes: ID, state, address, health, roles, TPM use, version, time since the last"
              + " heartbeat and labels.")
  public static final class Describe extends Query {
    @Option(
        names = "--columns",
        paramLabel = "COLUMN",
        split = ",",
        description =
            "Show only these columns (case-insensitive, comma-separated): node id, state,"
                + " address, health, roles, tpm, version, heartbeat, labels.")
    List<String> columns;

    @Override
    public void run() {
      if (columns != null) {
        try {
          NodeView.columns(columns);
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
      }
      super.run();
    }

    @Override
    String plaintext(List<Node> nodes) {
      var table = NodeView.table(nodes);
      return columns == null ? table.render() : table.render(NodeView.columns(columns));
    }

    @Override
    String json(Node node) {
      return NodeView.json(node);
    }
  }

  /** {@code node list}: node IDs only. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "List node IDs.")
  public static final class ListNodes extends Query {
    @Override
    String plaintext(List<Node> nodes) {
      return NodeView.idTable(nodes).render();
    }

    @Override
    String json(Node node) {
      return NodeView.idJson(node);
    }
  }
}
