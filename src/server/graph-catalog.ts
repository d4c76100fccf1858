import type { GraphRegistry } from "../runtime/graph-loader.js";
import { getGraphDrawing, getGraphSchemas, getSubgraphSchemas } from "../runtime/graph-info.js";
import type { GraphCatalog } from "../http/context.js";
import type { JsonObject } from "../storage/types.js";

/** The assistants API's view of the loaded graphs. */
export function graphCatalog(registry: GraphRegistry): GraphCatalog {
  return {
    has: (graphId) => registry.has(graphId),

    async drawing(graphId, config, xray) {
      const graph = await registry.get(graphId, config);
      return getGraphDrawing(graph, { xray, config });
    },

    async schemas(graphId, config) {
      const graph = await registry.get(graphId, config);
      return { graph_id: graphId, ...getGraphSchemas(graph) } as JsonObject;
    },

    async subgraphs(graphId, config, namespace, recurse) {
      const graph = await registry.get(graphId, config);
      return (await getSubgraphSchemas(graph, { namespace, recurse })) as unknown as JsonObject;
    },
  };
}
