import { Activity, LayoutDashboard, Mail, Route, Settings, Users, UsersRound, type LucideIcon } from "lucide-react";

export interface NavItem {
  href: string;
  label: string;
  icon: LucideIcon;
}

export const MAIN_NAV: NavItem[] = [
  { href: "/", label: "Dashboard", icon: LayoutDashboard },
  { href: "/segments", label: "Segments", icon: UsersRound },
  { href: "/journeys", label: "Journeys", icon: Route },
  { href: "/profiles", label: "Profiles", icon: Users },
  { href: "/messages", label: "Messages", icon: Mail },
  { href: "/events", label: "Events", icon: Activity },
  { href: "/settings", label: "Settings", icon: Settings },
];

export function isActive(pathname: string, href: string): boolean {
  return href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`);
}
