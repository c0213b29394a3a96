package dev.metropolis.api;

import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import dev.metropolis.api.aaa.AaaProto;
import dev.metropolis.api.common.CommonProto;
import dev.metropolis.api.configuration.ConfigurationProto;
import dev.metropolis.api.curator.CuratorProto;
import dev.metropolis.api.ext.Authorization;
import dev.metropolis.api.logtree.LogtreeProto;
import dev.metropolis.api.management.ManagementProto;
import dev.metropolis.api.nodemanagement.NodeManagementProto;
import dev.metropolis.api.storage.StorageProto;
import java.util.List;

/**
 * The one list of every {@code .proto} file this module compiles, as generated file descriptors.
 *
 * <p>Code that must see every API at once (the authorization interceptor's start-up check, server
 * reflection, tests) reads this list instead of naming files itself. A test fails when a file under
 * {@code src/main/proto} is missing here, so adding a {@code .proto} file means adding its outer
 * class below.
 */
public final class ApiDescriptors {
  private static final List<FileDescriptor> FILES =
      List.of(
          Authorization.getDescriptor(),
          CommonProto.getDescriptor(),
          ConfigurationProto.getDescriptor(),
          LogtreeProto.getDescriptor(),
          ManagementProto.getDescriptor(),
          NodeManagementProto.getDescriptor(),
          AaaProto.getDescriptor(),
          CuratorProto.getDescriptor(),
          StorageProto.getDescriptor());

  private ApiDescriptors() {}

  /** Every file of this module, in no particular order. */
  public static List<FileDescriptor> files() {
    return FILES;
  }

  /** Every gRPC service defined by this module. */
  public static List<ServiceDescriptor> services() {
    return FILES.stream().flatMap(f -> f.getServices().stream()).toList();
  }
}
