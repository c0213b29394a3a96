package dev.metropolis.metroctl;

import dev.metropolis.api.common.NodeState;
import dev.metropolis.api.management.ApproveNodeRequest;
import dev.metropolis.api.management.Node;
import dev.metropolis.metroctl.client.ClusterClient;
import dev.metropolis.metroctl.client.MetroctlException;
import dev.metropolis.metroctl.client.RpcErrors;
import dev.metropolis.metroctl.output.PendingNodeView;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code approve [NODE-ID]}, top level as in the reference and also as {@code node approve}: lists
 * the nodes waiting for approval, or approves one.
 *
 * <p>Approving is idempotent, as ApproveNode is: a node already STANDBY or UP is reported as
 * approved and the command succeeds, so that scripts can re-run it. The reference CLI refuses
 * anything but a NEW node; only states the cluster refuses (DECOMMISSIONED) fail here.
 */
@Command(
    name = "approve",
    mixinStandardHelpOptions = true,
    description = {
      "Without NODE-ID, list the nodes waiting for approval (NEW) with their public keys. With"
          + " NODE-ID, approve that node so that it can join the cluster.",
      "Compare the public key with the one the node logs before approving it. Approving a node"
          + " that is already approved succeeds."
    })
public final class ApproveCommand implements Runnable {
  /** The filter of nodes waiting for approval. */
  static final String PENDING = "node.state == NODE_STATE_NEW";

  @Spec CommandSpec spec;

  @Parameters(
      paramLabel = "NODE-ID",
      arity = "0..1",
      description = "The node to approve (default: list the nodes waiting).")
  String id;

  @Override
  public void run() {
    Metroctl root = Metroctl.of(spec);
    if (id != null) {
      NodeCommand.checkId(spec, id);
    }
    try (ClusterClient client = root.client(spec)) {
      if (id == null) {
        list(root, client);
      } else {
        approve(root, client);
      }
    }
  }

  private static void list(Metroctl root, ClusterClient client) {
    List<Node> nodes;
    try {
      nodes = new ArrayList<>(client.getNodes(PENDING));
    } catch (StatusRuntimeException e) {
      throw new MetroctlException(
          "listing nodes pending approval failed: " + RpcErrors.describe(e), e);
    }
    if (nodes.isEmpty()) {
      // On stderr, as the reference logs it: standard output stays an empty list for scripts.
      root.io().err().println("There are no nodes pending approval at this time.");
      return;
    }
    nodes.sort(Comparator.comparing(Node::getId));
    PrintWriter out = root.io().out();
    if (root.format() == Metroctl.Format.json) {
      nodes.forEach(n -> out.println(PendingNodeView.json(n)));
    } else {
      out.print(PendingNodeView.table(nodes).render());
    }
  }

  private void approve(Metroctl root, ClusterClient client) {
    NodeState before;
    try {
      before =
          client.asOwner(ch -> {
            List<Node> found = client.getNodes(ch, NodeCommand.idFilter(id));
            if (found.isEmpty()) {
              throw new MetroctlException("node " + id + " is not in the cluster");
            }
            Node n = found.getFirst();
            ClusterClient.management(ch)
                .approveNode(ApproveNodeRequest.newBuilder().setPubkey(n.getPubkey()).build());
            return n.getState();
          });
    } catch (StatusRuntimeException e) {
      throw new MetroctlException("approving node " + id + " failed: " + RpcErrors.describe(e), e);
    }
    if (before == NodeState.NODE_STATE_NEW) {
      root.io().out().println("Approved node " + id + ".");
    } else {
      root.io()
          .out()
          .println(
              "Node "
                  + id
                  + " was already approved (it is "
                  + before.name().replace("NODE_STATE_", "")
                  + ").");
    }
  }
}
