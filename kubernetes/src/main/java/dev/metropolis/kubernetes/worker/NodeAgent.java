package dev.metropolis.kubernetes.worker;

import dev.metropolis.kubernetes.apiserver.api.Json;
import dev.metropolis.kubernetes.client.RestClient;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A worker's presence in Kubernetes, as a kubelet keeps it: its {@code Node} object (created once,
 * status posted on registration and then periodically) and its {@code Lease} in {@code
 * kube-node-lease}, renewed every {@value #LEASE_RENEW_SECONDS} s, which is what the node lifecycle
 * controller watches. Containers do not run yet, so Ready means "the node agent is alive and
 * reporting". Every call is idempotent: after any failure the caller simply calls again, possibly
 * against another API server.
 */
public final class NodeAgent {
  public static final int LEASE_SECONDS = 40;
  public static final int LEASE_RENEW_SECONDS = 10;
  private static final String LEASES =
      "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases";
  private static final DateTimeFormatter MICRO =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
          .withZone(java.time.ZoneOffset.UTC);

  private final NodeInfo info;
  private final Clock clock;

  public NodeAgent(NodeInfo info, Clock clock) {
    this.info = info;
    this.clock = clock;
  }

  /** Creates the Node if it does not exist yet; an existing Node keeps its labels and taints. */
  public void register(RestClient api) throws IOException, InterruptedException {
    RestClient.Response existing = api.get("/api/v1/nodes/" + info.name());
    if (existing.ok()) {
      return;
    }
    if (existing.code() != 404) {
      throw new IOException("reading Node " + info.name() + ": " + existing.message());
    }
    ObjectNode node = Json.object();
    node.put("apiVersion", "v1").put("kind", "Node");
    ObjectNode meta = node.putObject("metadata");
    meta.put("name", info.name());
    ObjectNode labels = meta.putObject("labels");
    info.labels().forEach(labels::put);
    RestClient.Response created = api.post("/api/v1/nodes", node);
    if (!created.ok() && created.code() != 409) {
      throw new IOException("creating Node " + info.name() + ": " + created.message());
    }
  }

  /** Posts the node's status: addresses, capacity, node info, and Ready. */
  public void postStatus(RestClient api) throws IOException, InterruptedException {
    String now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    ObjectNode patch = Json.object();
    ObjectNode status = patch.putObject("status");
    ObjectNode capacity = status.putObject("capacity");
    capacity.put("cpu", Integer.toString(info.cpus()));
    capacity.put("memory", (info.memoryBytes() / 1024) + "Ki");
    capacity.put("pods", Integer.toString(info.maxPods()));
    status.set("allocatable", capacity.deepCopy());
    ArrayNode conditions = status.putArray("conditions");
    condition(
        conditions,
        "MemoryPressure",
        "False",
        "KubeletHasSufficientMemory",
        "node agent has sufficient memory available",
        now);
    condition(
        conditions,
        "DiskPressure",
        "False",
        "KubeletHasNoDiskPressure",
        "node agent has no disk pressure",
        now);
    condition(
        conditions,
        "PIDPressure",
        "False",
        "KubeletHasSufficientPID",
        "node agent has sufficient PID available",
        now);
    condition(
        conditions,
        "Ready",
        "True",
        "KubeletReady",
        "Metropolis node agent is posting ready status",
        now);
    ArrayNode addresses = status.putArray("addresses");
    addresses.addObject().put("type", "InternalIP").put("address", info.address());
    addresses.addObject().put("type", "Hostname").put("address", info.name());
    ObjectNode ni = status.putObject("nodeInfo");
    ni.put("machineID", "").put("systemUUID", "").put("bootID", info.bootId());
    ni.put("kernelVersion", info.kernelVersion()).put("osImage", info.osImage());
    ni.put("containerRuntimeVersion", "none://not-yet");
    ni.put("kubeletVersion", info.agentVersion()).put("kubeProxyVersion", "");
    ni.put("operatingSystem", "linux").put("architecture", "amd64");
    status.putObject("daemonEndpoints").putObject("kubeletEndpoint").put("Port", 0);
    RestClient.Response r = api.mergePatch("/api/v1/nodes/" + info.name() + "/status", patch);
    if (!r.ok()) {
      throw new IOException("posting the status of Node " + info.name() + ": " + r.message());
    }
  }

  private static void condition(
      ArrayNode to, String type, String status, String reason, String message, String now) {
    to.addObject()
        .put("type", type)
        .put("status", status)
        .put("lastHeartbeatTime", now)
        .put("lastTransitionTime", now)
        .put("reason", reason)
        .put("message", message);
  }

  /** Creates or renews the node's Lease: holder = the node, renewTime = now. */
  public void renewLease(RestClient api) throws IOException, InterruptedException {
    String path = LEASES + "/" + info.name();
    RestClient.Response current = api.get(path);
    String now = MICRO.format(Instant.now(clock));
    if (current.code() == 404) {
      ObjectNode lease = Json.object();
      lease.put("apiVersion", "coordination.k8s.io/v1").put("kind", "Lease");
      lease.putObject("metadata").put("name", info.name());
      lease
          .putObject("spec")
          .put("holderIdentity", info.name())
          .put("leaseDurationSeconds", LEASE_SECONDS)
          .put("renewTime", now);
      RestClient.Response r = api.post(LEASES, lease);
      if (!r.ok()) {
        throw new IOException("creating the Lease of " + info.name() + ": " + r.message());
      }
      return;
    }
    if (!current.ok()) {
      throw new IOException("reading the Lease of " + info.name() + ": " + current.message());
    }
    ObjectNode lease = current.body();
    lease
        .withObject("spec")
        .put("holderIdentity", info.name())
        .put("leaseDurationSeconds", LEASE_SECONDS)
        .put("renewTime", now);
    // an update on the read resourceVersion: a concurrent writer makes it fail, and the next
    // renewal reads again
    RestClient.Response r = api.put(path, lease);
    if (!r.ok()) {
      throw new IOException("renewing the Lease of " + info.name() + ": " + r.message());
    }
  }

  /** Removes the node from Kubernetes (its role was taken away): Lease and Node. */
  public void deregister(RestClient api) throws IOException, InterruptedException {
    for (String path : new String[] {LEASES + "/" + info.name(), "/api/v1/nodes/" + info.name()}) {
      RestClient.Response r = api.delete(path);
      if (!r.ok() && r.code() != 404) {
        throw new IOException("deleting " + path + ": " + r.message());
      }
    }
  }
}
