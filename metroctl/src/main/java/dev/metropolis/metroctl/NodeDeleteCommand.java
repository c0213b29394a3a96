package dev.metropolis.metroctl;

import dev.metropolis.api.management.DeleteNodeRequest;
import dev.metropolis.api.management.Node;
import dev.metropolis.metroctl.client.ClusterClient;
import dev.metropolis.metroctl.client.MetroctlException;
import dev.metropolis.metroctl.client.RpcErrors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code node delete NODE-ID}: removes a node's record from the cluster. */
@Command(
    name = "delete",
    mixinStandardHelpOptions = true,
    description = {
      "Delete a node from the cluster: its record and its join key.",
      "The cluster refuses to delete a node that still has roles, or one that is UP (nodes"
          + " cannot be decommissioned yet), unless told to with the bypass options. The node's"
          + " certificate is not revoked: shut the node down first."
    })
public final class NodeDeleteCommand implements Runnable {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NODE-ID", description = "The node to delete.")
  String id;

  @Option(names = "--bypass-has-roles", description = "Delete the node even if it has roles.")
  boolean bypassHasRoles;

  @Option(
      names = "--bypass-not-decommissioned",
      description = "Delete the node even if it is UP rather than decommissioned.")
  boolean bypassNotDecommissioned;

  @Override
  public void run() {
    Metroctl root = Metroctl.of(spec);
    NodeCommand.checkId(spec, id);
    DeleteNodeRequest.Builder req = DeleteNodeRequest.newBuilder().setId(id);
    if (bypassHasRoles) {
      req.setSafetyBypassHasRoles(DeleteNodeRequest.SafetyBypassHasRoles.getDefaultInstance());
    }
    if (bypassNotDecommissioned) {
      req.setSafetyBypassNotDecommissioned(
          DeleteNodeRequest.SafetyBypassNotDecommissioned.getDefaultInstance());
    }
    try (ClusterClient client = root.client(spec)) {
      client.asOwner(ch -> {
        List<Node> found = client.getNodes(ch, NodeCommand.idFilter(id));
        if (found.isEmpty()) {
          throw new MetroctlException("node " + id + " is not in the cluster");
        }
        String addr = found.getFirst().getStatus().getExternalAddress();
        root.io()
            .err()
            .println("deleting node: " + id + " (" + (addr.isEmpty() ? "unknown" : addr) + ")");
        ClusterClient.management(ch).deleteNode(req.build());
        return null;
      });
    } catch (StatusRuntimeException e) {
      throw new MetroctlException(
          "deleting node " + id + " failed: " + RpcErrors.describe(e) + flagHint(e), e);
    }
    root.io().out().println("Deleted node " + id + ".");
  }

  /**
   * The option that overrides a refusal, when the cluster's message names the safety bypass by its
   * request field, which operators do not type.
   */
  static String flagHint(StatusRuntimeException e) {
    String d = e.getStatus().getDescription();
    if (e.getStatus().getCode() != Status.Code.FAILED_PRECONDITION || d == null) {
      return "";
    }
    if (d.contains("safety_bypass_has_roles")) {
      return " (to delete it anyway: --bypass-has-roles)";
    }
    if (d.contains("safety_bypass_not_decommissioned")) {
      return " (to delete it anyway: --bypass-not-decommissioned)";
    }
    return "";
  }
}
