import {
  siDigitalocean,
  siDocker,
  siGooglecloud,
  siHetzner,
  siKubernetes,
  siOvh,
  siPaperspace,
  siPrometheus,
  siVultr,
} from 'simple-icons';

/** simple-icons where the brand is there; a lettermark otherwise (AWS, Azure, RunPod … are not). */
const ICONS: Record<string, { path: string; hex: string }> = {
  gcp: siGooglecloud,
  vultr: siVultr,
  digitalocean: siDigitalocean,
  hetzner: siHetzner,
  ovh: siOvh,
  paperspace: siPaperspace,
  kubernetes: siKubernetes,
  docker: siDocker,
  prometheus: siPrometheus,
};

export function ProviderLogo(props: { id: string; name?: string; size?: number }) {
  const size = props.size ?? 24;
  const icon = ICONS[props.id];
  if (icon) {
    return (
      <svg
        class="logo"
        width={size}
        height={size}
        viewBox="0 0 24 24"
        aria-hidden="true"
        fill={`#${icon.hex}`}
      >
        <path d={icon.path} />
      </svg>
    );
  }
  const letters =
    (props.name ?? props.id)
      .replace(/[^A-Za-z0-9 ]/g, '')
      .split(/\s+/)
      .map((w) => w[0])
      .join('')
      .slice(0, 2)
      .toUpperCase() || '?';
  return (
    <span
      class="logo lettermark"
      style={{ width: size, height: size, fontSize: size * 0.42 }}
      aria-hidden="true"
    >
      {letters}
    </span>
  );
}
