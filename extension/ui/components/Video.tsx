import { useEffect, useRef } from 'preact/hooks';

/** A muted, autoplaying video bound to a stream (sound plays in the offscreen document). */
export function Video(props: { stream: MediaStream | null | undefined; label: string; class?: string; mirrored?: boolean }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const video = ref.current;
    if (video && video.srcObject !== (props.stream ?? null)) video.srcObject = props.stream ?? null;
  });
  return (
    <video
      ref={ref}
      class={`${props.class ?? ''}${props.mirrored ? ' mirrored' : ''}`}
      aria-label={props.label}
      autoplay
      muted
      playsInline
    />
  );
}
