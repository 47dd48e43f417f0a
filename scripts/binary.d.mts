export declare const LAUNCHER: string;
export declare const BUNDLE: string;
export declare const BINARY_FILES: string[];
export declare function copyBinary(fromDir: string, toDir: string): string;
export declare function hasBinary(dir: string): boolean;
