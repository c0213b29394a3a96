package dev.metropolis.kubernetes.apiserver.api;

import dev.metropolis.kubernetes.apiserver.storage.Store;
import tools.jackson.databind.node.ObjectNode;

/**
 * Cluster IPs of Services from 10.96.0.0/16 (10.96.0.1 first, which upstream gives the {@code
 * kubernetes} service). Each allocated address is a key in etcd created if absent, so two servers
 * never hand out the same address.
 */
final class ServiceIps {
  private static final int SIZE = 1 << 16;
  private final Store store;
  private final String prefix;

  ServiceIps(Store store, String prefix) {
    this.store = store;
    this.prefix = prefix + "/ranges/serviceips/";
  }

  /** Fills spec.clusterIP(s) of a ClusterIP/NodePort/LoadBalancer service that has none. */
  void allocate(ObjectNode service, boolean dryRun) {
    ObjectNode spec = service.withObject("spec");
    if (spec.path("type").asString("").equals("ExternalName")) {
      return;
    }
    String given = spec.path("clusterIP").asString("");
    if (given.equals("None")) {
      spec.putArray("clusterIPs").add("None");
      return;
    }
    if (!given.isEmpty()) {
      if (!dryRun && store.create(prefix + given, new byte[0]) < 0) {
        throw new ApiException(
            422,
            "Invalid",
            "spec.clusterIPs: Invalid value: \""
                + given
                + "\": failed to allocate IP "
                + given
                + ": provided IP is already allocated",
            null);
      }
      spec.putArray("clusterIPs").add(given);
      return;
    }
    for (int i = 1; i < SIZE - 1; i++) {
      String ip = "10.96." + (i >> 8) + "." + (i & 0xff);
      if (dryRun ? store.get(prefix + ip).isEmpty() : store.create(prefix + ip, new byte[0]) > 0) {
        spec.put("clusterIP", ip);
        spec.putArray("clusterIPs").add(ip);
        spec.putArray("ipFamilies").add("IPv4");
        spec.put("ipFamilyPolicy", "SingleStack");
        return;
      }
    }
    throw ApiException.internal("the service cluster IP range 10.96.0.0/16 is full");
  }

  void release(ObjectNode service) {
    String ip = service.path("spec").path("clusterIP").asString("");
    if (!ip.isEmpty() && !ip.equals("None")) {
      store.deleteKey(prefix + ip);
    }
  }
}
