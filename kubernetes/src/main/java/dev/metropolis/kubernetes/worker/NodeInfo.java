package dev.metropolis.kubernetes.worker;

import java.util.Map;

/**
 * What a worker reports about itself in its Node object.
 *
 * @param name the Node's name: the Metropolis node ID
 * @param address the node's external address (InternalIP)
 * @param cpus logical CPUs (capacity {@code cpu})
 * @param memoryBytes physical memory (capacity {@code memory})
 * @param maxPods pods it accepts (capacity {@code pods})
 * @param osImage e.g. {@code Metropolis 0.1.0}
 * @param kernelVersion the running kernel's release
 * @param agentVersion what {@code kubeletVersion} shows (the column VERSION of {@code get nodes})
 * @param bootId changes on every boot
 * @param labels labels the worker sets when it creates its Node (hostname, os, arch)
 */
public record NodeInfo(
    String name,
    String address,
    int cpus,
    long memoryBytes,
    int maxPods,
    String osImage,
    String kernelVersion,
    String agentVersion,
    String bootId,
    Map<String, String> labels) {
  public NodeInfo {
    labels = Map.copyOf(labels);
  }

  /** The standard labels a kubelet puts on its Node. */
  public static Map<String, String> standardLabels(String name) {
    return Map.of(
        "kubernetes.io/hostname", name,
        "kubernetes.io/os", "linux",
        "kubernetes.io/arch", "amd64",
        "beta.kubernetes.io/os", "linux",
        "beta.kubernetes.io/arch", "amd64");
  }
}
