import * as $protobuf from "protobufjs";

export namespace strata {

    namespace segment {

        namespace v1 {

            interface IFileHeader extends strata.segment.v1.FileHeader.$Properties {
            }

            class FileHeader {
                constructor(properties?: strata.segment.v1.FileHeader.$Properties);
                $unknowns?: Uint8Array[];
                tenant: string;
                shard: number;
                level: number;
                id: string;
                minTimeMs: number;
                maxTimeMs: number;
                createdBy: string;
                createdAtMs: number;
                seriesCount: number;
                sampleCount: number;
                sources: string[];
                chunkCount: number;
                bodyStoredBytes: number;
                bodyDecodedBytes: number;
                shardCount: number;
                static create(properties: strata.segment.v1.FileHeader.$Shape): strata.segment.v1.FileHeader & strata.segment.v1.FileHeader.$Shape;
                static create(properties?: strata.segment.v1.FileHeader.$Properties): strata.segment.v1.FileHeader;
                static encode(message: strata.segment.v1.FileHeader.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): strata.segment.v1.FileHeader & strata.segment.v1.FileHeader.$Shape;
            }

            namespace FileHeader {
                interface $Properties {
                    tenant?: (string|null);
                    shard?: (number|null);
                    level?: (number|null);
                    id?: (string|null);
                    minTimeMs?: (number|null);
                    maxTimeMs?: (number|null);
                    createdBy?: (string|null);
                    createdAtMs?: (number|null);
                    seriesCount?: (number|null);
                    sampleCount?: (number|null);
                    sources?: (string[]|null);
                    chunkCount?: (number|null);
                    bodyStoredBytes?: (number|null);
                    bodyDecodedBytes?: (number|null);
                    shardCount?: (number|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = strata.segment.v1.FileHeader.$Properties;
            }

            interface ISeriesBody extends strata.segment.v1.SeriesBody.$Properties {
            }

            class SeriesBody {
                constructor(properties?: strata.segment.v1.SeriesBody.$Properties);
                $unknowns?: Uint8Array[];
                series: strata.segment.v1.Series.$Properties[];
                static create(properties: strata.segment.v1.SeriesBody.$Shape): strata.segment.v1.SeriesBody & strata.segment.v1.SeriesBody.$Shape;
                static create(properties?: strata.segment.v1.SeriesBody.$Properties): strata.segment.v1.SeriesBody;
                static encode(message: strata.segment.v1.SeriesBody.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): strata.segment.v1.SeriesBody & strata.segment.v1.SeriesBody.$Shape;
            }

            namespace SeriesBody {
                interface $Properties {
                    series?: (strata.segment.v1.Series.$Properties[]|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = strata.segment.v1.SeriesBody.$Properties;
            }

            interface ISeries extends strata.segment.v1.Series.$Properties {
            }

            class Series {
                constructor(properties?: strata.segment.v1.Series.$Properties);
                $unknowns?: Uint8Array[];
                labels: strata.segment.v1.Label.$Properties[];
                samples: strata.segment.v1.Sample.$Properties[];
                functions: string[];
                stacks: strata.segment.v1.Stack.$Properties[];
                static create(properties: strata.segment.v1.Series.$Shape): strata.segment.v1.Series & strata.segment.v1.Series.$Shape;
                static create(properties?: strata.segment.v1.Series.$Properties): strata.segment.v1.Series;
                static encode(message: strata.segment.v1.Series.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): strata.segment.v1.Series & strata.segment.v1.Series.$Shape;
            }

            namespace Series {
                interface $Properties {
                    labels?: (strata.segment.v1.Label.$Properties[]|null);
                    samples?: (strata.segment.v1.Sample.$Properties[]|null);
                    functions?: (string[]|null);
                    stacks?: (strata.segment.v1.Stack.$Properties[]|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = strata.segment.v1.Series.$Properties;
            }

            interface ILabel extends strata.segment.v1.Label.$Properties {
            }

            class Label {
                constructor(properties?: strata.segment.v1.Label.$Properties);
                $unknowns?: Uint8Array[];
                name: string;
                value: string;
                static create(properties: strata.segment.v1.Label.$Shape): strata.segment.v1.Label & strata.segment.v1.Label.$Shape;
                static create(properties?: strata.segment.v1.Label.$Properties): strata.segment.v1.Label;
                static encode(message: strata.segment.v1.Label.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): strata.segment.v1.Label & strata.segment.v1.Label.$Shape;
            }

            namespace Label {
                interface $Properties {
                    name?: (string|null);
                    value?: (string|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = strata.segment.v1.Label.$Properties;
            }

            interface ISample extends strata.segment.v1.Sample.$Properties {
            }

            class Sample {
                constructor(properties?: strata.segment.v1.Sample.$Properties);
                $unknowns?: Uint8Array[];
                value: number;
                timestamp: number;
                static create(properties: strata.segment.v1.Sample.$Shape): strata.segment.v1.Sample & strata.segment.v1.Sample.$Shape;
                static create(properties?: strata.segment.v1.Sample.$Properties): strata.segment.v1.Sample;
                static encode(message: strata.segment.v1.Sample.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): strata.segment.v1.Sample & strata.segment.v1.Sample.$Shape;
            }

            namespace Sample {
                interface $Properties {
                    value?: (number|null);
                    timestamp?: (number|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = strata.segment.v1.Sample.$Properties;
            }

            interface IStack extends strata.segment.v1.Stack.$Properties {
            }

            class Stack {
                constructor(properties?: strata.segment.v1.Stack.$Properties);
                $unknowns?: Uint8Array[];
                timestamp: number;
                frames: number[];
                value: number;
                static create(properties: strata.segment.v1.Stack.$Shape): strata.segment.v1.Stack & strata.segment.v1.Stack.$Shape;
                static create(properties?: strata.segment.v1.Stack.$Properties): strata.segment.v1.Stack;
                static encode(message: strata.segment.v1.Stack.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): strata.segment.v1.Stack & strata.segment.v1.Stack.$Shape;
            }

            namespace Stack {
                interface $Properties {
                    timestamp?: (number|null);
                    frames?: (number[]|null);
                    value?: (number|null);
                    $unknowns?: Uint8Array[];
                }
                type $Shape = strata.segment.v1.Stack.$Properties;
            }
        }
    }
}
