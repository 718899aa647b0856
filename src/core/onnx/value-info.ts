import { create } from '@bufbuild/protobuf';
import { ValueInfoProtoSchema, type ValueInfoProto } from 'onnx-buf';

/** A tensor-typed ValueInfo; string dims become symbolic (dim_param); no dims: shape unknown. */
export function makeValueInfo(name: string, elemType: number, dims?: (number | string)[]): ValueInfoProto {
  return create(ValueInfoProtoSchema, {
    name,
    type: {
      value: {
        case: 'tensorType',
        value: {
          elemType,
          shape: dims && {
            dim: dims.map((d) => ({ value: typeof d === 'number' && d >= 0 ? { case: 'dimValue' as const, value: BigInt(d) } : { case: 'dimParam' as const, value: String(d) } })),
          },
        },
      },
    },
  });
}

/** Element type and dims (numbers for fixed dims, names or '?' for dynamic ones) of a tensor ValueInfo. */
export function readValueInfo(v: ValueInfoProto): { elemType: number; dims: (number | string)[] } | undefined {
  if (v.type?.value.case !== 'tensorType') return undefined;
  const t = v.type.value.value;
  const dims = (t.shape?.dim ?? []).map((d) =>
    d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value : '?');
  return { elemType: t.elemType, dims };
}
