package dev.metropolis.node.curator;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.StructTypeReference;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import dev.metropolis.api.common.NodeState;
import dev.metropolis.api.management.Node;
import java.util.HashMap;
import java.util.Map;

/**
 * A CEL expression over a management {@link Node}, e.g. {@code node.state == NODE_STATE_UP} or
 * {@code has(node.roles.kubernetes_worker)}. The variable {@code node} is the node; the names of
 * {@link NodeState} and {@link Node.Health} values are integer constants.
 */
public final class NodeFilter {
  private static final Map<String, Long> CONSTANTS = constants();
  private static final CelCompiler COMPILER = compiler();
  private static final CelRuntime RUNTIME =
      CelRuntimeFactory.standardCelRuntimeBuilder().addMessageTypes(Node.getDescriptor()).build();

  private final CelRuntime.Program program;
  private final String source;

  private NodeFilter(String source, CelRuntime.Program program) {
    this.source = source;
    this.program = program;
  }

  /**
   * Compiles a filter.
   *
   * @throws InvalidFilterException when it does not parse, does not type-check, or is not boolean
   */
  public static NodeFilter compile(String expression) throws InvalidFilterException {
    try {
      CelAbstractSyntaxTree ast = COMPILER.compile(expression).getAst();
      return new NodeFilter(expression, RUNTIME.createProgram(ast));
    } catch (CelValidationException e) {
      throw new InvalidFilterException("invalid filter: " + e.getMessage().strip());
    } catch (CelEvaluationException e) {
      throw new InvalidFilterException("invalid filter: " + e.getMessage());
    }
  }

  /** Whether {@code node} matches; evaluation errors (e.g. a missing map key) are rejections. */
  public boolean matches(Node node) throws InvalidFilterException {
    Map<String, Object> vars = new HashMap<>(CONSTANTS);
    vars.put("node", node);
    try {
      return Boolean.TRUE.equals(program.eval(vars));
    } catch (CelEvaluationException e) {
      throw new InvalidFilterException(
          "filter \"" + source + "\" failed on node " + node.getId() + ": " + e.getMessage());
    }
  }

  /** A filter that cannot be used. */
  public static final class InvalidFilterException extends Exception {
    private static final long serialVersionUID = 1L;

    public InvalidFilterException(String message) {
      super(message);
    }
  }

  private static Map<String, Long> constants() {
    Map<String, Long> m = new HashMap<>();
    for (NodeState s : NodeState.values()) {
      if (s != NodeState.UNRECOGNIZED) {
        m.put(s.name(), (long) s.getNumber());
      }
    }
    for (Node.Health h : Node.Health.values()) {
      if (h != Node.Health.UNRECOGNIZED) {
        m.put(h.name(), (long) h.getNumber());
      }
    }
    return Map.copyOf(m);
  }

  private static CelCompiler compiler() {
    var b =
        CelCompilerFactory.standardCelCompilerBuilder()
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addMessageTypes(Node.getDescriptor())
            .addVar("node", StructTypeReference.create(Node.getDescriptor().getFullName()))
            .setResultType(SimpleType.BOOL);
    for (String name : CONSTANTS.keySet()) {
      b.addVar(name, SimpleType.INT);
    }
    return b.build();
  }
}
